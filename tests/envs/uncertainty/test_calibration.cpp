// Workload calibration (spec goa-env.md §3): the four targets from the
// authors' result files (500 snapshots each), within +/-10 %, and the drawn
// distributions against their closed forms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "envs/uncertainty/evaluate.h"
#include "uncertainty_test_util.h"

namespace mecrl::uncertainty {
namespace {

using testing::CpuEnv;
using testing::params_with;

Report run(const std::string& policy, int users) {
  const UncertaintyParams p = params_with({"env.num_users=" + std::to_string(users)});
  EvalSettings st;
  st.episodes = 500;
  return evaluate_uncertainty(p, st, policy, baseline_policy(policy));
}

void expect_within_10pct(double got, double target, const char* what) {
  EXPECT_NEAR(got, target, 0.1 * target) << what << ": " << got << " vs target " << target;
  std::printf("[ calibration ] %-28s %8.3f  target %8.3f  (%+.1f %%)\n", what, got, target,
              100 * (got / target - 1));
}

TEST(UncertaintyCalibration, LocalAllAccuracyAndDelay) {
  const Report r = run("local", 50);
  expect_within_10pct(r.value("accuracy_pct"), 45.2, "local-all accuracy, %");
  expect_within_10pct(r.value("delay_ms"), 35.8, "local-all delay, ms/user");
}

TEST(UncertaintyCalibration, EdgeAllAccuracyAndDelayAtN50) {
  const Report r = run("edge", 50);
  expect_within_10pct(r.value("accuracy_pct"), 56.2, "edge-all accuracy, %");
  expect_within_10pct(r.value("delay_ms"), 17.8, "edge-all delay N=50, ms/user");
  // The split is only indicative (spec: the uplink has a heavy tail).
  std::printf("[ calibration ] edge-all N=50 split: uplink %.3f ms, compute %.3f ms (spec: ~2 + 15.8)\n",
              r.value("uplink_ms"), r.value("compute_ms"));
  EXPECT_EQ(r.value("offload_fraction"), 1.0);
}

// Per-user draws over 64 x 200 users against closed forms (tolerances are
// ~5 standard errors or the resolution of the statistic).
TEST(UncertaintyCalibration, DrawnDistributions) {
  const UncertaintyParams p = params_with({"env.num_users=200"});
  CpuEnv env(p, 64, CpuExec{0});
  const UncertaintyState& s = env.state();
  std::vector<double> alpha, slm, ratio, bits, speed, fade, ces;
  double slm_ok = 0, llm_ok_given_ok = 0, llm_ok_given_wrong = 0, n_wrong = 0, expected_slm = 0;
  for (int e = 0; e < 64; ++e) {
    for (int i = 0; i < p.num_users; ++i) {
      const size_t u = s.l.user(e, i);
      alpha.push_back(s.alpha[u]);
      slm.push_back(s.slm_s[u]);
      ratio.push_back(s.llm_s[u] / s.slm_s[u]);
      bits.push_back(s.payload_bits[u]);
      speed.push_back(s.local_flops[u] / 91.06e12);
      EXPECT_NEAR(s.local_s[u], s.slm_s[u] * 91.06e12 / s.local_flops[u], 1e-6 * s.local_s[u]);
      expected_slm += std::clamp(0.72 - 0.4 * s.alpha[u], 0.0, 1.0);
      slm_ok += s.slm_correct[u];
      if (s.slm_correct[u]) {
        llm_ok_given_ok += s.llm_correct[u];
      } else {
        llm_ok_given_wrong += s.llm_correct[u];
        n_wrong += 1;
      }
      for (int j = 0; j < p.num_servers; ++j) {
        const double dx = s.x_m[u] - p.d.server_pos_m[j][0], dy = s.y_m[u] - p.d.server_pos_m[j][1];
        const double d = std::max(10.0, std::sqrt(dx * dx + dy * dy));
        const double amp = 299792458.0 / (4 * M_PI * 3.5e9 * d);
        fade.push_back(s.gain[s.l.pair(e, i, j)] / (amp * amp));
      }
    }
    for (int j = 0; j < p.num_servers; ++j) ces.push_back(s.server_flops[s.l.server(e, j)] / 15130e12);
  }
  const double n = static_cast<double>(alpha.size());
  auto mean = [](const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m += x;
    return m / static_cast<double>(v.size());
  };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  EXPECT_NEAR(mean(alpha), 2.0 / 3, 5 * std::sqrt(1.0 / 18 / n));  // Beta(2, 1)
  EXPECT_NEAR(slm_ok / n, expected_slm / n, 5 * std::sqrt(0.25 / n));
  const double n_ok = n - n_wrong;
  EXPECT_NEAR(llm_ok_given_ok / n_ok, 0.90, 5 * std::sqrt(0.09 / n_ok));
  EXPECT_NEAR(llm_ok_given_wrong / n_wrong, 0.283, 5 * std::sqrt(0.203 / n_wrong));
  EXPECT_NEAR(median(slm) / 0.0319, 1.0, 0.01);
  EXPECT_NEAR(median(ratio) / 6.17, 1.0, 0.01);
  EXPECT_NEAR(median(bits) / 700, 1.0, 0.02);
  EXPECT_NEAR(mean(speed), 1.0, 5 * std::sqrt(1.0 / 12 / n));  // U(0.5, 1.5)
  EXPECT_GE(*std::min_element(speed.begin(), speed.end()), 0.5);
  EXPECT_LE(*std::max_element(speed.begin(), speed.end()), 1.5);
  EXPECT_NEAR(mean(ces), 1.0, 5 * std::sqrt(0.16 / 3 / ces.size()));  // U(0.6, 1.4)
  // Rayleigh: |g|^2 ~ Exp(1): mean 1, P(|g|^2 < 0.1) = 1 - e^-0.1.
  const double nf = static_cast<double>(fade.size());
  EXPECT_NEAR(mean(fade), 1.0, 5 / std::sqrt(nf));
  const double below = static_cast<double>(std::count_if(fade.begin(), fade.end(), [](double f) { return f < 0.1; }));
  const double q = 1 - std::exp(-0.1);
  EXPECT_NEAR(below / nf, q, 5 * std::sqrt(q * (1 - q) / nf));
}

}  // namespace
}  // namespace mecrl::uncertainty
