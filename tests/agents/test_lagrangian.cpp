// The Lagrange multiplier update and the advantage combination, by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

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

// Per population group (train.num_users): groups of 2 and 1 envs, two costs,
// each group fed its own J_c. Every (group, cost) must follow the PID loop of
// the header's equations (a scalar double loop here, as above) on its own
// costs only; one iteration is a warm-up for group 1 alone (that group's
// state stays, group 0 moves). s_c = 1 (every per-step cost is 1).
TEST(Lagrangian, PerGroupPidFollowsEachGroupsCosts) {
  LagrangianConfig cfg;
  cfg.mode = "lagrangian";
  cfg.lr = {0.3f, 0.5f};
  cfg.kp = {2.f, 1.f};
  cfg.kd = {1.5f, 0.5f};
  cfg.pid_smoothing = 0.6f;
  cfg.lambda_init = {0.2f, 0.1f};
  cfg.limits = {0.5f, 0.f};
  cfg.margin = {0.05f, 0.f};
  Lagrange lag(cfg, 2, std::vector<int>{2, 1});
  ASSERT_EQ(lag->groups(), 2);
  ASSERT_EQ(lag->lambda.sizes(), (std::vector<int64_t>{2, 2}));
  const auto steps = torch::ones({1000, 2});
  // J[iteration][group][cost]; NAN = that group measured nothing.
  const double J[4][2][2] = {{{1.0, 0.3}, {0.1, 0.9}},
                             {{1.5, -0.2}, {NAN, NAN}},
                             {{0.2, 0.4}, {0.3, 1.2}},
                             {{0.7, 0.0}, {0.9, 0.0}}};
  const double lr[2] = {0.3, 0.5}, kp[2] = {2, 1}, kd[2] = {1.5, 0.5}, d[2] = {0.5, 0}, m[2] = {0.05, 0};
  double integral[2][2] = {{0.2, 0.1}, {0.2, 0.1}}, v_ema[2][2] = {}, c_ema[2][2] = {}, expect[2][2] = {{0.2, 0.1}, {0.2, 0.1}};
  bool seen[2] = {false, false};
  for (const auto& it : J) {
    auto mean = torch::zeros({2, 2});
    auto valid = torch::zeros({2}, torch::kBool);
    for (int g = 0; g < 2; ++g) {
      const bool ok = !std::isnan(it[g][0]);
      valid[g] = ok;
      for (int c = 0; c < 2; ++c) mean[g][c] = ok ? it[g][c] : 0.0;
      if (!ok) continue;
      for (int c = 0; c < 2; ++c) {
        const double v = it[g][c] - d[c] + m[c], a = seen[g] ? 0.6 : 0.0;
        v_ema[g][c] = a * v_ema[g][c] + (1 - a) * v;
        const double c_next = a * c_ema[g][c] + (1 - a) * it[g][c];
        const double rise = seen[g] ? std::max(0.0, c_next - c_ema[g][c]) : 0.0;
        c_ema[g][c] = c_next;
        integral[g][c] = std::max(0.0, integral[g][c] + lr[c] * v);
        expect[g][c] = std::max(0.0, integral[g][c] + kp[c] * v_ema[g][c] + kd[c] * rise);
      }
      seen[g] = true;
    }
    lag->update(mean, steps, valid);
    for (int g = 0; g < 2; ++g) {
      for (int c = 0; c < 2; ++c) {
        EXPECT_NEAR(lag->lambda[g][c].item<float>(), expect[g][c], 1e-4 * (1 + expect[g][c])) << g << " " << c;
      }
    }
  }
  // The groups saw different costs, so their multipliers differ.
  EXPECT_GT(std::abs(expect[0][0] - expect[1][0]), 0.1);
  // The pooled view: the mean over envs of their group's lambda, (2 row 0 + row 1) / 3.
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(lag->pooled_lambda()[c].item<float>(), (2 * expect[0][c] + expect[1][c]) / 3, 1e-4 * (1 + expect[0][c]));
  }
}

// [E, ...] per env summed into its group: envs 0, 1 -> group 0, env 2 -> group 1.
TEST(Lagrangian, SumPerGroup) {
  LagrangianConfig cfg;
  cfg.mode = "lagrangian";
  Lagrange lag(cfg, 2, std::vector<int>{2, 1});
  const auto s = lag->sum_per_group(torch::tensor({{1.f, 10.f}, {2.f, 20.f}, {4.f, 40.f}}));
  EXPECT_TRUE(torch::equal(s, torch::tensor({{3.f, 30.f}, {4.f, 40.f}})));
}

// Env e's advantage uses its group's lambda: group 0 (2, 3) as in
// CombineAdvantages, 3 / 6 = 0.5; group 1 (0.5, 1): (1 - (0.25 - 1)) / 2.5 = 0.7.
TEST(Lagrangian, CombinePerGroup) {
  LagrangianConfig cfg;
  cfg.mode = "penalty";
  cfg.lambda_init = {2.f, 3.f};
  Lagrange lag(cfg, 2, std::vector<int>{1, 1});
  lag->lambda[1].copy_(torch::tensor({0.5f, 1.f}));
  const auto adv = torch::tensor({1.f, 0.5f, -1.f}).reshape({1, 1, 1, 3}).expand({2, 2, 1, 3});  // [T, E, Uv, K]
  const auto a = lag->combine(adv);
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{2, 2, 1}));
  for (int t = 0; t < 2; ++t) {
    EXPECT_NEAR(a[t][0][0].item<float>(), 0.5f, 1e-6);
    EXPECT_NEAR(a[t][1][0].item<float>(), 0.7f, 1e-6);
  }
  EXPECT_THROW(lag->combine(torch::zeros({4, 3})), std::logic_error);  // no env dimension
}

// The per-group path when every group sees the pooled J_c is the pooled
// path, bit for bit (multipliers, controller state, combined advantages);
// and one group keeps the pooled [C] shape (old checkpoints, old code path).
TEST(Lagrangian, GroupsWithThePooledCostsArePooledBitForBit) {
  LagrangianConfig cfg;
  cfg.mode = "lagrangian";
  cfg.lr = {0.3f, 0.5f, 0.1f};
  cfg.kp = {2.f, 1.f, 0.f};
  cfg.kd = {1.5f, 0.5f, 0.2f};
  cfg.lambda_init = {0.2f, 0.1f, 0.f};
  cfg.limits = {0.5f, 0.f, 0.1f};
  Lagrange pooled(cfg, 3), one(cfg, 3, std::vector<int>{5}), grouped(cfg, 3, std::vector<int>{2, 1});
  EXPECT_EQ(one->groups(), 1);
  EXPECT_EQ(one->lambda.sizes(), (std::vector<int64_t>{3}));
  torch::manual_seed(3);
  for (int k = 0; k < 6; ++k) {
    const auto j = torch::rand({3}) - 0.2;
    const auto steps = torch::randn({64, 3});
    pooled->update(j, steps, torch::tensor(true));
    one->update(j, steps, torch::tensor(true));
    grouped->update(j.expand({2, 3}), steps, torch::ones({2}, torch::kBool));
  }
  for (const auto& name : {"lambda", "integral", "violation_ema", "cost_ema", "seen"}) {
    const auto p = pooled->named_buffers()[name];
    EXPECT_TRUE(torch::equal(one->named_buffers()[name], p)) << name;
    for (int g = 0; g < 2; ++g) EXPECT_TRUE(torch::equal(grouped->named_buffers()[name][g], p)) << name << " " << g;
  }
  EXPECT_GT(pooled->lambda.sum().item<float>(), 0.f);
  const auto adv = torch::randn({4, 3, 5, 4});  // [T, E, Uv, K]
  EXPECT_TRUE(torch::equal(grouped->combine(adv), pooled->combine(adv)));
  EXPECT_TRUE(torch::equal(one->combine(adv), pooled->combine(adv)));
}

}  // namespace
}  // namespace mecrl::agents
