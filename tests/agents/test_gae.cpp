// GAE against a hand-computed example with a termination and a truncation
// inside the rollout (gamma 0.9, lambda 0.8).
#include <gtest/gtest.h>

#include <vector>

#include "agents/gae.h"
#include "cuda/backend.h"

namespace mecrl::agents {
namespace {

// Env 0 (worked by hand, backwards):
//   t=3: delta = 4 + 0.9*2.5 - 2.0 = 4.25                       A = 4.25
//   t=2: truncated, bootstrap V(final) = 10: delta = 3 + 9 - 1.5 = 10.5, no carry: A = 10.5
//   t=1: terminated, no bootstrap: delta = 2 - 1.0 = 1.0, no carry:          A = 1.0
//   t=0: delta = 1 + 0.9*1.0 - 0.5 = 1.4; A = 1.4 + 0.72*1.0 =               A = 2.12
// Env 1 (no episode end, r = 1, V = 0): A = 1, 1.72, 2.2384, 2.611648.
TEST(Gae, HandComputedWithTerminationAndTruncation) {
  const auto rewards = torch::tensor({{1.f, 1.f}, {2.f, 1.f}, {3.f, 1.f}, {4.f, 1.f}});
  const auto values = torch::tensor({{0.5f, 0.f}, {1.0f, 0.f}, {1.5f, 0.f}, {2.0f, 0.f}});
  const auto last = torch::tensor({2.5f, 0.f});
  const auto term = torch::tensor({{false, false}, {true, false}, {false, false}, {false, false}});
  const auto trunc = torch::tensor({{false, false}, {false, false}, {true, false}, {false, false}});
  auto trunc_value = torch::zeros({4, 2});
  trunc_value[2][0] = 10.f;
  const auto g = compute_gae(rewards, values, last, term, trunc, trunc_value, 0.9, 0.8);
  const float expect_adv[4][2] = {{2.12f, 2.611648f}, {1.0f, 2.2384f}, {10.5f, 1.72f}, {4.25f, 1.0f}};
  for (int t = 0; t < 4; ++t) {
    for (int e = 0; e < 2; ++e) {
      EXPECT_NEAR(g.advantages[t][e].item<float>(), expect_adv[t][e], 1e-5) << t << "," << e;
      EXPECT_NEAR(g.returns[t][e].item<float>(), expect_adv[t][e] + values[t][e].item<float>(), 1e-5);
    }
  }
}

// Trailing dimensions (users, heads) broadcast against the [T, E] flags.
TEST(Gae, BroadcastsOverUsersAndHeads) {
  const auto rewards = torch::ones({3, 2, 5, 4});
  const auto values = torch::zeros({3, 2, 5, 4});
  const auto term = torch::tensor({{false, true}, {false, false}, {false, false}});
  const auto trunc = torch::zeros({3, 2}, torch::kBool);
  const auto g = compute_gae(rewards, values, torch::zeros({2, 5, 4}), term, trunc, torch::zeros_like(values), 1.0, 1.0);
  EXPECT_NEAR(g.advantages[0][0][3][2].item<float>(), 3.f, 1e-6);  // no end: 1 + 1 + 1
  EXPECT_NEAR(g.advantages[0][1][3][2].item<float>(), 1.f, 1e-6);  // terminated at t = 0
}

// Per-step lambda = 1 between a user's decisions (t = 0 and t = 3): V at
// t = 1, 2 must cancel, leaving the Monte-Carlo return to the next decision:
//   A0 = r0 + g r1 + g^2 r2 + g^3 V3 - V0 + g^3 lambda A3
//      = 1 + 1.8 + 2.43 + 3.645 - 10 + 0.729 * 0.5 * 4.4 = 0.4788   (g = 0.9, lambda = 0.5)
TEST(Gae, LambdaOneBetweenDecisionsTelescopes) {
  const auto rewards = torch::tensor({1.f, 2.f, 3.f, 4.f}).reshape({4, 1});
  auto values = torch::tensor({10.f, 20.f, 30.f, 5.f}).reshape({4, 1});
  const auto none = torch::zeros({4, 1}, torch::kBool);
  const auto lambda_next = torch::tensor({1.f, 1.f, 0.5f, 1.f}).reshape({4, 1});
  const auto g = compute_gae(rewards, values, torch::tensor({6.f}), none, none, torch::zeros({4, 1}), 0.9, 0.5,
                             lambda_next);
  EXPECT_NEAR(g.advantages[3][0].item<float>(), 4.4f, 1e-5);
  EXPECT_NEAR(g.advantages[0][0].item<float>(), 0.4788f, 1e-4);
  // The in-between values do not matter at all.
  values[1][0] = -1000.f;
  values[2][0] = 777.f;
  const auto h = compute_gae(rewards, values, torch::tensor({6.f}), none, none, torch::zeros({4, 1}), 0.9, 0.5,
                             lambda_next);
  EXPECT_NEAR(h.advantages[0][0].item<float>(), 0.4788f, 1e-4);
}

// The kernel's recursion against a straightforward double-precision loop on
// random data: flags per env, several columns per env, per-step lambda.
TEST(Gae, MatchesReferenceLoopOnRandomData) {
  torch::manual_seed(11);
  const int64_t T = 37, E = 5, U = 3, K = 2;
  const auto rewards = torch::randn({T, E, U, K}), values = torch::randn({T, E, U, K});
  const auto last = torch::randn({E, U, K}), trunc_value = torch::randn({T, E, U, K});
  const auto term = torch::rand({T, E}) < 0.1, trunc = (torch::rand({T, E}) < 0.1).logical_and(term.logical_not());
  const auto lam = torch::where(torch::rand({T, E, U, 1}) < 0.5, torch::full({}, 1.0f), torch::full({}, 0.9f));
  const double gamma = 0.97, lambda = 0.9;
  for (const bool per_step : {false, true}) {
    const auto g = compute_gae(rewards, values, last, term, trunc, trunc_value, gamma, lambda,
                               per_step ? lam : torch::Tensor());
    for (int64_t e = 0; e < E; ++e) {
      for (int64_t u = 0; u < U; ++u) {
        for (int64_t k = 0; k < K; ++k) {
          double next_adv = 0, v_next = last[e][u][k].item<double>();
          for (int64_t t = T - 1; t >= 0; --t) {
            const bool te = term[t][e].item<bool>(), tr = trunc[t][e].item<bool>();
            const double v = values[t][e][u][k].item<double>();
            const double boot = te ? 0.0 : tr ? trunc_value[t][e][u][k].item<double>() : v_next;
            const double delta = rewards[t][e][u][k].item<double>() + gamma * boot - v;
            const double l = per_step ? lam[t][e][u][0].item<double>() : lambda;
            next_adv = (te || tr) ? delta : delta + gamma * l * next_adv;
            EXPECT_NEAR(g.advantages[t][e][u][k].item<double>(), next_adv, 1e-4) << t << "," << e << "," << u;
            EXPECT_NEAR(g.returns[t][e][u][k].item<double>(), next_adv + v, 1e-4);
            v_next = v;
          }
        }
      }
    }
  }
}

// The GPU kernel computes what the CPU loop computes, bit for bit (same
// MECRL_HD function, no FMA contraction on either side).
TEST(Gae, CudaEqualsCpuBitForBit) {
  if (cuda::device_count() == 0 || !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device for LibTorch";
  torch::manual_seed(5);
  const int64_t T = 64, E = 33, U = 7, K = 4;
  const auto rewards = torch::randn({T, E, U, K}), values = torch::randn({T, E, U, K});
  const auto last = torch::randn({E, U, K}), tv = torch::randn({T, E, U, K});
  const auto term = torch::rand({T, E}) < 0.05, trunc = torch::rand({T, E}) < 0.05;
  const auto lam = torch::rand({T, E, U, 1});
  const auto cpu = compute_gae(rewards, values, last, term, trunc, tv, 0.99, 0.95, lam);
  const torch::Device d(torch::kCUDA, 0);
  const auto gpu = compute_gae(rewards.to(d), values.to(d), last.to(d), term.to(d), trunc.to(d), tv.to(d), 0.99, 0.95,
                               lam.to(d));
  EXPECT_TRUE(torch::equal(cpu.advantages, gpu.advantages.cpu()));
  EXPECT_TRUE(torch::equal(cpu.returns, gpu.returns.cpu()));
}

}  // namespace
}  // namespace mecrl::agents
