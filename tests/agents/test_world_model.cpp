// The world model learns a known linear system: x' = M x + b [a = 1],
// reward = w . x. Its validation error (measured each iteration on a fresh
// rollout it has not trained on) must fall to a small fraction of the
// variance of the state change.
#include <gtest/gtest.h>

#include "agents/world_model.h"

namespace mecrl::agents {
namespace {

Rollout linear_rollout(int64_t T, int64_t E, int64_t U, const torch::Tensor& M, const torch::Tensor& b,
                       const torch::Tensor& w) {
  Rollout r = Rollout::allocate(T, E, U, 3, 2, 0, U, 1, /*D=*/1, torch::kCPU);
  auto x = torch::randn({E, U, 3});
  for (int64_t t = 0; t < T; ++t) {
    const auto a = torch::randint(0, 2, {E, U}, torch::kInt64);
    const auto next = torch::matmul(x, M.t()) + a.unsqueeze(-1).to(torch::kFloat32) * b;
    r.obs[t].copy_(x);
    r.next_obs[t].copy_(next);
    r.actions[t].copy_(a);
    r.active[t].fill_(true);
    r.next_active[t].fill_(true);
    r.rewards[t].copy_(torch::matmul(x, w).unsqueeze(-1));
    r.joint[t].copy_(a.to(torch::kFloat32).mean(1, true));
    x = next;
  }
  return r;
}

TEST(WorldModel, FitsKnownLinearSystem) {
  torch::manual_seed(0);
  const auto M = torch::tensor({{0.9f, 0.1f, 0.f}, {0.f, 0.8f, 0.2f}, {0.1f, 0.f, 0.7f}});
  const auto b = torch::tensor({0.5f, -0.3f, 0.2f});
  const auto w = torch::tensor({1.f, -1.f, 0.5f});
  WorldModelConfig cfg;
  cfg.hidden = 32;
  cfg.window = 8;
  cfg.batch_windows = 128;
  cfg.updates = 8;
  cfg.lr = 3e-3f;
  cfg.warmup_iterations = 0;
  cfg.gate_threshold = 0.1f;
  PolicySpec spec{3, 2, 4, 1, 16, "user", false};
  ActorCritic policy(spec);
  WorldModelLearner wm(cfg, spec, 1, 4, torch::kCPU);
  WorldModelDeviceStats first, last;
  for (int it = 0; it < 40; ++it) {
    const Rollout r = linear_rollout(24, 8, 4, M, b, w);
    last = wm.fit(r, policy, it);
    if (it == 0) first = last;
  }
  EXPECT_GT(first.val_obs_error.item<double>(), 0.5);  // an untrained model explains little
  EXPECT_LT(last.val_obs_error.item<double>(), 0.05) << "normalised one-step MSE of the state change on unseen data";
  EXPECT_LT(last.val_reward_error.item<double>(), 0.05) << "normalised MSE of the reward on unseen data";
  EXPECT_EQ(last.gate.item<double>(), 1.0);
}

}  // namespace
}  // namespace mecrl::agents
