// The Lagrange multiplier update and the advantage combination, by hand.
#include <gtest/gtest.h>

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
