// The uncertainty scenario through ./mecrl, as a user types it: eval
// (table and --json), config, and sweep — its CSV checked against separate
// `eval --json` runs of the same points, and bad input giving one line,
// exit status 2 and no CSV.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_command.h"
#include "core/remove_tree.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;
using mecrl::testing::run_command;

const std::string kCfg = MECRL_SOURCE_DIR "/configs/uncertainty.yaml";

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string cell; std::getline(ss, cell, sep);) out.push_back(cell);
  return out;
}

TEST(UncertaintyCli, EvalPrintsReportAndJson) {
  const auto table = run_command({MECRL_BINARY, "eval", "--config", kCfg, "--policy", "goa", "--episodes", "20",
                                  "env.num_users=30", "env.tau=0.7"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("uncertainty | policy goa | N = 30, M = 4, tau = 0.7 | 20 snapshots"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("delay_ms"), std::string::npos);
  const auto js = run_command({MECRL_BINARY, "eval", "--config", kCfg, "--policy", "goa", "--episodes", "20",
                               "env.num_users=30", "--json"});
  ASSERT_EQ(js.status, 0) << js.err;
  const auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["scenario"], "uncertainty");
  EXPECT_EQ(j["policy"], "goa");
  for (const char* k : {"delay_ms", "accuracy_pct", "offload_fraction", "uplink_ms", "compute_ms", "solver_ms"}) {
    EXPECT_TRUE(j["metrics"].contains(k)) << k;
  }
  EXPECT_TRUE(j["se"].contains("delay_ms"));
}

TEST(UncertaintyCli, ConfigListsEveryKey) {
  const auto r = run_command({MECRL_BINARY, "config", "--config", kCfg});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* k : {"env.scenario", "env.tau", "env.radio.noise_w_per_hz", "env.workload.llm_ratio",
                        "eval.episodes", "threads", "seed"}) {
    EXPECT_NE(r.out.find(k), std::string::npos) << k;
  }
}

// The CSV: one row per (point, policy), grid order (first --set slowest),
// columns = grid keys, policy, metrics (+ _se); each row equals a separate
// `eval --json` of that point.
TEST(UncertaintyCli, SweepWritesTheGridAndMatchesEval) {
  const fs::path dir = fs::temp_directory_path() / "mecrl_unc_sweep_ok";
  mecrl::remove_tree(dir);
  fs::create_directories(dir);
  const std::string csv = (dir / "s.csv").string();
  const auto r = run_command({MECRL_BINARY, "sweep", "--config", kCfg, "--policies", "goa,local", "--set",
                              "env.num_users=10,20", "--set", "env.tau=0.6,0.9", "--out", csv, "--episodes", "15",
                              "seed=3"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::ifstream in(csv);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(split(line, ','));
  ASSERT_EQ(rows.size(), 1u + 2 * 2 * 2);
  const auto& head = rows[0];
  ASSERT_GE(head.size(), 6u);
  EXPECT_EQ(head[0], "env.num_users");
  EXPECT_EQ(head[1], "env.tau");
  EXPECT_EQ(head[2], "policy");
  EXPECT_EQ(head[3], "delay_ms");
  EXPECT_EQ(head[4], "delay_ms_se");
  const char* order[8][3] = {{"10", "0.6", "goa"}, {"10", "0.6", "local"}, {"10", "0.9", "goa"},
                             {"10", "0.9", "local"}, {"20", "0.6", "goa"}, {"20", "0.6", "local"},
                             {"20", "0.9", "goa"}, {"20", "0.9", "local"}};
  for (int k = 0; k < 8; ++k) {
    ASSERT_EQ(rows[k + 1].size(), head.size()) << "row " << k;
    EXPECT_EQ(rows[k + 1][0], order[k][0]);
    EXPECT_EQ(rows[k + 1][1], order[k][1]);
    EXPECT_EQ(rows[k + 1][2], order[k][2]);
  }
  // Row 7 (N = 20, tau = 0.9, goa) against eval.
  const auto e = run_command({MECRL_BINARY, "eval", "--config", kCfg, "--policy", "goa", "--episodes", "15",
                              "--json", "seed=3", "env.num_users=20", "env.tau=0.9"});
  ASSERT_EQ(e.status, 0) << e.err;
  const auto j = nlohmann::json::parse(e.out);
  for (size_t c = 3; c < head.size(); ++c) {
    const std::string& key = head[c];
    if (key == "solver_ms" || key.find("_se") == key.size() - 3) continue;  // wall time differs; se checked below
    ASSERT_TRUE(j["metrics"].contains(key)) << key;
    EXPECT_NEAR(std::stod(rows[7][c]), j["metrics"][key].get<double>(), 1e-7 * (1 + std::fabs(j["metrics"][key].get<double>())))
        << key;
  }
  EXPECT_NEAR(std::stod(rows[7][4]), j["se"]["delay_ms"].get<double>(), 1e-9);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1) << "a temp file was left behind";
  mecrl::remove_tree(dir);
}

struct BadSweep {
  const char* name;
  std::vector<std::string> args;  // after `sweep --config <uncertainty.yaml> --out <csv>`
  std::string expected;
};

void PrintTo(const BadSweep& c, std::ostream* os) { *os << c.name; }

class UncertaintySweepErrors : public ::testing::TestWithParam<BadSweep> {};

TEST_P(UncertaintySweepErrors, OneLineExitTwoNoCsv) {
  const BadSweep& c = GetParam();
  const fs::path dir = fs::temp_directory_path() / ("mecrl_unc_sweep_" + std::string(c.name));
  mecrl::remove_tree(dir);
  fs::create_directories(dir);
  const std::string csv = (dir / "s.csv").string();
  std::vector<std::string> args = {MECRL_BINARY, "sweep", "--config", kCfg, "--out", csv, "--episodes", "5"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const auto r = run_command(args);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "mecrl: error: " + c.expected + "\n");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::is_empty(dir)) << "a file was written";
  mecrl::remove_tree(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Table, UncertaintySweepErrors,
    ::testing::Values(
        BadSweep{"unknown_key", {"--policies", "goa", "--set", "env.num_userz=50,60"},
                 "--set 'env.num_userz=50,60': unknown key 'env.num_userz'; did you mean 'env.num_users'?"},
        BadSweep{"bad_value", {"--policies", "goa", "--set", "env.tau=0.5,1.5"},
                 "--set 'env.tau=0.5,1.5': env.tau = '1.5' is outside [0, 1] (accuracy rule: users with alpha > tau "
                 "must offload (1 disables the mask))"},
        BadSweep{"not_a_number", {"--policies", "goa", "--set", "env.num_users=50,lots"},
                 "--set 'env.num_users=50,lots': env.num_users = 'lots' is not an integer (allowed: integer in "
                 "[1, 1024]; users N in the area)"},
        BadSweep{"unknown_policy", {"--policies", "goa,greedy", "--set", "env.num_users=50"},
                 "--policies 'greedy' is not a baseline (local, edge, goa, dmin, random), a checkpoint directory or an "
                 "exported policy bundle"},
        BadSweep{"no_equals", {"--policies", "goa", "--set", "env.tau"},
                 "--set 'env.tau': expected KEY=V1,V2,... (e.g. env.num_users=50,60,70)"},
        BadSweep{"empty_value", {"--policies", "goa", "--set", "env.tau=0.5,,0.7"},
                 "--set 'env.tau=0.5,,0.7': empty value in the list"},
        BadSweep{"twice", {"--policies", "goa", "--set", "env.tau=0.5", "--set", "env.tau=0.7"},
                 "--set 'env.tau=0.7': key 'env.tau' is set twice"},
        BadSweep{"bad_override", {"--policies", "goa", "env.num_servers=0"},
                 "command line 'env.num_servers=0': env.num_servers = '0' is outside [1, 16] (edge servers M, at the "
                 "centres of a square grid)"}),
    [](const ::testing::TestParamInfo<BadSweep>& i) { return std::string(i.param.name); });

TEST(UncertaintyCli, EvalUnknownPolicy) {
  const auto r = run_command({MECRL_BINARY, "eval", "--config", kCfg, "--policy", "greedy", "--episodes", "2"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "mecrl: error: --policy 'greedy' is not a baseline (local, edge, goa, dmin, random), a checkpoint "
            "directory or an exported policy bundle\n");
}

}  // namespace
}  // namespace mecrl
