// mecrl eval --samples: the per-item values behind the summary. Their count,
// mean and quantiles (numpy's linear rule, computed here) are the JSON's
// metrics; a missing folder is one error line before anything runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "run_command.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> cols;
};

Csv read_csv(const std::string& path) {
  std::istringstream in(testing::slurp(std::filesystem::path(path)));
  Csv c;
  std::string line;
  std::getline(in, line);
  std::stringstream hs(line);
  for (std::string f; std::getline(hs, f, ',');) c.header.push_back(f);
  c.cols.resize(c.header.size());
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    size_t k = 0;
    for (std::string f; std::getline(ls, f, ',');) c.cols.at(k++).push_back(std::stod(f));
    EXPECT_EQ(k, c.header.size()) << line;
  }
  return c;
}

double quantile_linear(std::vector<double> x, double q) {
  std::sort(x.begin(), x.end());
  const double pos = q * (x.size() - 1);
  const size_t lo = static_cast<size_t>(pos), hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (pos - lo) * (x[hi] - x[lo]);
}

TEST(EvalSamples, OffloadLatenciesAreTheMetrics) {
  const auto dir = testing::fresh_scratch_dir("eval_samples");
  const std::string path = (dir / "greedy.samples.csv").string();
  const auto r = testing::run_command({MECRL_BINARY, "eval", "--config", MECRL_SOURCE_DIR "/configs/offload.yaml",
                                       "--policy", "greedy", "--label", "greedy (test)", "--episodes", "2",
                                       "env.num_users=20", "eval.slots=400", "eval.warmup_slots=40", "threads=1", "--json",
                                       "--samples", path});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["policy"], "greedy (test)");
  const Csv c = read_csv(path);
  ASSERT_EQ(c.header, (std::vector<std::string>{"latency_s", "ttft_s"}));
  const auto& lat = c.cols[0];
  const auto& m = j["metrics"];
  ASSERT_EQ(static_cast<double>(lat.size()), m["completions"].get<double>());
  ASSERT_GT(lat.size(), 20u);
  double sum = 0;
  for (double v : lat) sum += v;
  // Samples are printed with 7 significant digits.
  EXPECT_NEAR(sum / lat.size(), m["latency_mean_s"].get<double>(), 1e-6 * m["latency_mean_s"].get<double>());
  for (const auto& [q, key] : {std::pair{0.5, "latency_p50_s"}, {0.95, "latency_p95_s"}, {0.99, "latency_p99_s"}}) {
    EXPECT_NEAR(quantile_linear(lat, q), m[key].get<double>(), 1e-6 * m[key].get<double>()) << key;
  }
  EXPECT_NEAR(quantile_linear(c.cols[1], 0.95), m["ttft_p95_s"].get<double>(), 1e-6 * m["ttft_p95_s"].get<double>());
}

TEST(EvalSamples, UncertaintyDelayPerUser) {
  const auto dir = testing::fresh_scratch_dir("eval_samples_unc");
  const std::string path = (dir / "goa.samples.csv").string();
  const auto r = testing::run_command({MECRL_BINARY, "eval", "--config", MECRL_SOURCE_DIR "/configs/uncertainty.yaml",
                                       "--policy", "goa", "--episodes", "5", "env.num_users=12", "threads=1", "--json",
                                       "--samples", path});
  ASSERT_EQ(r.status, 0) << r.err;
  const Csv c = read_csv(path);
  ASSERT_EQ(c.header, std::vector<std::string>{"delay_ms"});
  ASSERT_EQ(c.cols[0].size(), 5u * 12u);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(quantile_linear(c.cols[0], 0.95), j["metrics"]["delay_p95_ms"].get<double>(),
              1e-6 * j["metrics"]["delay_p95_ms"].get<double>());
}

TEST(EvalSamples, MissingFolderIsOneLine) {
  const std::string path = "/nonexistent_mecrl_dir/x.csv";
  const auto r = testing::run_command({MECRL_BINARY, "eval", "--config", MECRL_SOURCE_DIR "/configs/offload.yaml",
                                       "--policy", "local", "--samples", path});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "mecrl: error: --samples " + path + ": directory '/nonexistent_mecrl_dir' does not exist\n");
}

}  // namespace
}  // namespace mecrl
