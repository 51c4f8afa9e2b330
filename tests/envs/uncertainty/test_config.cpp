// Malformed uncertainty configs, each with its exact message (file:line or
// command line, key, value, allowed range, doc), and the shipped config's
// values = the spec's.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "uncertainty_test_util.h"
#include "core/remove_tree.h"

namespace mecrl::uncertainty {
namespace {

namespace fs = std::filesystem;

// Reads a config the way `mecrl eval` does for this scenario.
UncertaintyParams read(const std::string& path, const std::vector<std::string>& overrides) {
  Config cfg = Config::load(path);
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  r.allow_prefix("env.scenario");
  r.allow_prefix("eval.");
  r.allow_prefix("threads");
  UncertaintyParams p = read_uncertainty_params(r);
  r.finish();
  return p;
}

// 1-based line of the first line of `path` containing `needle`.
int line_of(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.find(needle) != std::string::npos) return n;
  }
  return -1;
}

struct BadConfig {
  const char* name;
  const char* file_text;  // appended after `base: [configs/uncertainty.yaml]` (line 1); nullptr: the file itself
  std::vector<std::string> overrides;
  std::string expected;  // "{F}" = the config path, "{L}" = the line of server_scale_min in it
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class UncertaintyConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(UncertaintyConfigErrors, ExactMessage) {
  const BadConfig& c = GetParam();
  std::string path = MECRL_SOURCE_DIR "/configs/uncertainty.yaml";
  const fs::path dir = fs::temp_directory_path() / ("mecrl_unc_cfg_" + std::string(c.name));
  if (c.file_text) {
    fs::create_directories(dir);
    path = (dir / "bad.yaml").string();
    std::ofstream(path) << "base: [" MECRL_SOURCE_DIR "/configs/uncertainty.yaml]\n" << c.file_text;
  }
  std::string expected = c.expected;
  if (const auto pos = expected.find("{F}"); pos != std::string::npos) expected.replace(pos, 3, path);
  if (const auto pos = expected.find("{L}"); pos != std::string::npos) {
    expected.replace(pos, 3, std::to_string(line_of(path, "server_scale_min:")));
  }
  try {
    read(path, c.overrides);
    ADD_FAILURE() << "no error; expected: " << expected;
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }
  mecrl::remove_tree(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Table, UncertaintyConfigErrors,
    ::testing::Values(
        BadConfig{"tau_range", "env:\n  tau: 1.5\n", {},
                  "{F}:3: env.tau = '1.5' is outside [0, 1] (accuracy rule: users with alpha > tau must offload "
                  "(1 disables the mask))"},
        BadConfig{"tau_list", "env:\n  tau: [0.5, 0.7]\n", {},
                  "{F}:3: env.tau = '0.5,0.7' is not a number (allowed: [0, 1]; accuracy rule: users with alpha > "
                  "tau must offload (1 disables the mask))"},
        BadConfig{"servers_range", "env:\n  num_servers: 17\n", {},
                  "{F}:3: env.num_servers = '17' is outside [1, 16] (edge servers M, at the centres of a square "
                  "grid)"},
        BadConfig{"users_type", "env:\n  num_users: many\n", {},
                  "{F}:3: env.num_users = 'many' is not an integer (allowed: integer in [1, 1024]; users N in the "
                  "area)"},
        BadConfig{"noise_negative", "env:\n  radio:\n    noise_w_per_hz: -4e-21\n", {},
                  "{F}:4: env.radio.noise_w_per_hz = '-4e-21' is outside (0, 1e-10] (noise density; sigma^2 = "
                  "density * B, W/Hz)"},
        BadConfig{"scale_order", "env:\n  compute:\n    local_scale_min: 1.6\n", {},
                  "{F}:4: env.compute.local_scale_min = 1.6 exceeds env.compute.local_scale_max = 1.5 (they bound "
                  "a uniform draw)"},
        BadConfig{"llm_prob", "env:\n  workload:\n    llm_acc_slm_wrong: 1.2\n", {},
                  "{F}:4: env.workload.llm_acc_slm_wrong = '1.2' is outside [0, 1] (P(LLM correct | SLM wrong))"},
        BadConfig{"unknown_key", "env:\n  workload:\n    alpha_beta: 3\n", {},
                  "{F}:4: unknown key 'env.workload.alpha_beta'; did you mean 'env.workload.alpha_beta_a'?"},
        BadConfig{"offload_key", "env:\n  dt_s: 0.25\n", {}, "{F}:3: unknown key 'env.dt_s'; did you mean 'env.tau'?"},
        BadConfig{"seed_negative", "seed: -1\n", {},
                  "{F}:2: seed = '-1' is outside [0, 2^63) (run seed (Philox key): same seed, same snapshots)"},
        BadConfig{"override_zero_band", nullptr, {"env.radio.bandwidth_hz=0"},
                  "command line 'env.radio.bandwidth_hz=0': env.radio.bandwidth_hz = '0' is outside (0, 1e+11] "
                  "(bandwidth B per server, split equally, Hz)"},
        BadConfig{"override_server_order", nullptr, {"env.compute.server_scale_max=0.5"},
                  "{F}:{L}: env.compute.server_scale_min = 0.6 exceeds env.compute.server_scale_max = 0.5 (they "
                  "bound a uniform draw)"},
        BadConfig{"override_unknown", nullptr, {"env.tua=0.5"},
                  "command line 'env.tua=0.5': unknown key 'env.tua'; did you mean 'env.tau'?"}),
    [](const ::testing::TestParamInfo<BadConfig>& i) { return std::string(i.param.name); });

// The shipped config holds the spec's numbers (goa-env.md §1-§3).
TEST(UncertaintyConfig, ShippedValuesAreTheSpecs) {
  const UncertaintyParams p = read(MECRL_SOURCE_DIR "/configs/uncertainty.yaml", {});
  EXPECT_EQ(p.num_users, 100);
  EXPECT_EQ(p.num_servers, 4);
  EXPECT_FLOAT_EQ(p.area_m, 500.f);
  EXPECT_FLOAT_EQ(p.min_distance_m, 10.f);
  EXPECT_FLOAT_EQ(p.carrier_hz, 3.5e9f);
  EXPECT_FLOAT_EQ(p.bandwidth_hz, 100e6f);
  EXPECT_FLOAT_EQ(p.tx_power_w, 0.2f);
  EXPECT_FLOAT_EQ(p.noise_w_per_hz, 4e-21f);
  EXPECT_FLOAT_EQ(p.ref_flops, 91.06e12f);
  EXPECT_FLOAT_EQ(p.server_flops, 10 * 1513e12f);
  EXPECT_FLOAT_EQ(p.server_cap_flops, 1513e12f);
  EXPECT_FLOAT_EQ(p.local_scale_min, 0.5f);
  EXPECT_FLOAT_EQ(p.local_scale_max, 1.5f);
  EXPECT_FLOAT_EQ(p.server_scale_min, 0.6f);
  EXPECT_FLOAT_EQ(p.server_scale_max, 1.4f);
  EXPECT_FLOAT_EQ(p.tau, 0.7f);
  EXPECT_FLOAT_EQ(p.decision_llm_ratio, 8.f);
  EXPECT_FLOAT_EQ(p.alpha_beta_a, 2.f);
  EXPECT_FLOAT_EQ(p.slm_acc_intercept, 0.72f);
  EXPECT_FLOAT_EQ(p.slm_acc_slope, 0.4f);
  EXPECT_FLOAT_EQ(p.llm_acc_slm_correct, 0.9f);
  EXPECT_FLOAT_EQ(p.llm_acc_slm_wrong, 0.283f);
  EXPECT_FLOAT_EQ(p.slm_median_s, 0.0319f);
  EXPECT_FLOAT_EQ(p.slm_sigma, 0.2f);
  EXPECT_FLOAT_EQ(p.llm_ratio, 6.17f);
  EXPECT_FLOAT_EQ(p.llm_sigma, 0.15f);
  EXPECT_FLOAT_EQ(p.payload_median_bits, 700.f);
  EXPECT_FLOAT_EQ(p.payload_sigma, 0.4f);
  // The defaults in params.h agree with the file.
  const UncertaintyParams d;
  EXPECT_EQ(d.num_users, p.num_users);
  EXPECT_FLOAT_EQ(d.server_flops, p.server_flops);
  EXPECT_FLOAT_EQ(d.accuracy_target, p.accuracy_target);
}

}  // namespace
}  // namespace mecrl::uncertainty
