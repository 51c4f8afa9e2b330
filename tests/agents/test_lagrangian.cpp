// The Lagrange multiplier update and the advantage combination, by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "agents/lagrangian.h"

namespace mecrl::agents {
namespace {

// Per-step costs alternating (0.1, 1), (0.3, -1): mean |cost| 0.2 and 1.
// lambda <- max(0, lambda + lr (J - d) / mean|c|), lr 0.5, d = 0:
//   cost 0: 0.1 + 0.5 * 0.2 / 0.2 = 0.6;  cost 1: max(0, 0 + 0.5 * (-0.3) / 1) = 0
TEST(Lagrangian, DualAscentByHand) {
  LagrangianConfig cfg;
  cfg.mode = "lagrangian";
  cfg.lr = {0.5f, 0.5f};
  cfg.lambda_init = {0.1f, 0.f};
  cfg.limits = {0.f, 0.f};
  Lagrange lag(cfg, 2);
  // 500 repeats: the running statistic's tiny prior (count 1e-4) is negligible.
  const auto steps = torch::tensor({{0.1f, 1.f}, {0.3f, -1.f}}).repeat({500, 1});
  lag->update(torch::tensor({0.2f, -0.3f}), steps);
  EXPECT_NEAR(lag->lambda[0].item<float>(), 0.6f, 1e-4);
  EXPECT_EQ(lag->lambda[1].item<float>(), 0.f);
  // A threshold d_c shifts the violation: J = 0.2 below d = 0.5 lowers lambda.
  cfg.limits = {0.5f, 0.f};
  Lagrange lag2(cfg, 2);
  lag2->update(torch::tensor({0.2f, -0.3f}), steps);
  EXPECT_EQ(lag2->lambda[0].item<float>(), 0.f);  // 0.1 + 0.5 * (-0.3) / 0.2 < 0
  // A margin m aims inside the constraint: 0.1 + 0.5 * (0.2 / 0.2 + 0.1) = 0.65.
  cfg.limits = {0.f, 0.f};
  cfg.margin = {0.1f, 0.f};
  Lagrange lag3(cfg, 2);
  lag3->update(torch::tensor({0.2f, -0.3f}), steps);
  EXPECT_NEAR(lag3->lambda[0].item<float>(), 0.65f, 1e-4);
  // An iteration wholly inside the cost warm-up measured no cost: the margin
  // alone must not move lambda (it did, by lr x margin per such iteration).
  lag3->update(torch::tensor({0.f, 0.f}), steps, torch::tensor(false));
  EXPECT_NEAR(lag3->lambda[0].item<float>(), 0.65f, 1e-6);
  lag3->update(torch::tensor({0.f, 0.f}), steps, torch::tensor(true));
  EXPECT_NEAR(lag3->lambda[0].item<float>(), 0.65f + 0.5f * 0.1f, 1e-4);  // margin step only
}

// PID Lagrangian (Stooke, Achiam, Abbeel 2020, Algorithm 2, with EMA-smoothed
// P and D inputs) against a scalar double-precision loop of the same
// equations, over a cost sequence that rises, falls below the limit and
// rises again; one warm-up iteration in the middle changes nothing.
TEST(Lagrangian, PidMatchesTheAlgorithmLoop) {
  LagrangianConfig cfg;
  cfg.mode = "lagrangian";
  cfg.lr = {0.3f};
  cfg.kp = {2.f};
  cfg.kd = {1.5f};
  cfg.pid_smoothing = 0.6f;
  cfg.lambda_init = {0.2f};
  cfg.limits = {0.5f};
  cfg.margin = {0.05f};
  Lagrange lag(cfg, 1);
  const auto steps = torch::ones({1000, 1});  // mean |cost| = 1 (prior count 1e-4: negligible)
  const double costs[] = {1.0, 1.5, 0.5, -1, 0.2, 0.1, 0.8, 1.2, 0.0, 0.6};  // -1: a warm-up iteration
  double integral = 0.2, v_ema = 0, c_ema = 0;
  bool seen = false;
  for (const double j : costs) {
    const bool valid = j >= 0;
    lag->update(torch::tensor({static_cast<float>(valid ? j : 0.0)}), steps, torch::tensor(valid));
    if (valid) {
      const double v = j - 0.5 + 0.05, a = seen ? 0.6 : 0.0;
      v_ema = a * v_ema + (1 - a) * v;
      const double c_next = a * c_ema + (1 - a) * j;
      const double rise = seen ? std::max(0.0, c_next - c_ema) : 0.0;
      c_ema = c_next;
      integral = std::max(0.0, integral + 0.3 * v);
      seen = true;
      const double lambda = std::max(0.0, integral + 2.0 * v_ema + 1.5 * rise);
      EXPECT_NEAR(lag->lambda[0].item<float>(), lambda, 1e-4 * (1 + lambda)) << "cost " << j;
    }
  }
}

// With kp = kd = 0 the controller is the dual ascent above, whatever the
// smoothing: the P and D state must not leak into lambda.
TEST(Lagrangian, PidWithoutPAndDIsDualAscent) {
  LagrangianConfig cfg;
  cfg.mode = "lagrangian";
  cfg.lr = {0.5f};
  cfg.lambda_init = {0.1f};
  cfg.pid_smoothing = 0.3f;
  Lagrange lag(cfg, 1);
  const auto steps = torch::ones({1000, 1});
  double lambda = 0.1;
  for (const double j : {0.4, -0.3, 0.9, -2.0, 0.1}) {
    lag->update(torch::tensor({static_cast<float>(j)}), steps);
    lambda = std::max(0.0, lambda + 0.5 * j);
    EXPECT_NEAR(lag->lambda[0].item<float>(), lambda, 1e-4) << j;
  }
}

TEST(Lagrangian, PenaltyModeKeepsMultipliers) {
  LagrangianConfig cfg;
  cfg.mode = "penalty";
  cfg.lambda_init = {2.f, 3.f};
  Lagrange lag(cfg, 2);
  lag->update(torch::tensor({5.f, 5.f}), torch::tensor({{1.f, 2.f}, {3.f, 4.f}}));
  EXPECT_EQ(lag->lambda[0].item<float>(), 2.f);
  EXPECT_EQ(lag->lambda[1].item<float>(), 3.f);
}

// (A_r - sum lambda_c A_c) / (1 + sum lambda): (1 - (2*0.5 + 3*(-1))) / (1 + 5) = 3 / 6.
TEST(Lagrangian, CombineAdvantages) {
  LagrangianConfig cfg;
  cfg.mode = "penalty";
  cfg.lambda_init = {2.f, 3.f};
  Lagrange lag(cfg, 2);
  const auto a = lag->combine(torch::tensor({{1.f, 0.5f, -1.f}}));
  EXPECT_NEAR(a[0].item<float>(), 0.5f, 1e-6);
  LagrangianConfig none;
  Lagrange off(none, 2);
  EXPECT_NEAR(off->combine(torch::tensor({{1.f, 0.5f, -1.f}}))[0].item<float>(), 1.f, 1e-6);
}

}  // namespace
}  // namespace mecrl::agents
