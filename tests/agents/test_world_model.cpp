// The world model learns a known linear system: x' = M x + b [a = 1],
// reward = w . x. Its validation error (measured each iteration on a fresh
// rollout it has not trained on) must fall to a small fraction of the
// variance of the state change. With wm.raw_targets, imagination puts the
// reward head's raw predictions into the return scaler's current scale:
// checked against the std of the discounted returns recomputed here by
// brute force.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

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

// The scaler's statistics by brute force: the discounted returns
// G <- gamma G + r (0 after a done) of every env and step, pooled with the
// RunningMeanStd prior (count 1e-4, mean 0, var 1): var = (c0 (1 + m^2) +
// sum (G - m)^2) / (c0 + n), m = sum G / (c0 + n). Returns sqrt(var + 1e-8) per stream.
std::vector<double> brute_force_return_std(const std::vector<torch::Tensor>& r, const std::vector<torch::Tensor>& done,
                                           double gamma) {
  const int64_t E = r[0].size(0), K = r[0].size(1);
  std::vector<double> out(K);
  for (int64_t k = 0; k < K; ++k) {
    std::vector<double> g_all, g(E, 0.0);
    for (size_t t = 0; t < r.size(); ++t) {
      for (int64_t e = 0; e < E; ++e) {
        g[e] = gamma * g[e] + r[t][e][k].item<double>();
        g_all.push_back(g[e]);
        if (done[t][e].item<bool>()) g[e] = 0;
      }
    }
    const double c0 = 1e-4, n = static_cast<double>(g_all.size());
    double sum = 0;
    for (double v : g_all) sum += v;
    const double m = sum / (c0 + n);
    double ss = c0 * (1 + m * m);
    for (double v : g_all) ss += (v - m) * (v - m);
    out[k] = std::sqrt(ss / (c0 + n) + 1e-8);
  }
  return out;
}

// The reward head set by hand to a constant c (zero weights, bias c), the
// critic to 0 and H = 1: each imagined sample's return is its imagined
// reward, c / std(G) with raw targets, c itself without.
TEST(WorldModel, ImaginationScalesRawRewardsByTheCurrentScaler) {
  torch::manual_seed(3);
  const int64_t T = 12, E = 3, U = 4, K = 2, cells = 5;
  const double gamma = 0.9;
  ReturnScaler scaler(cells, K, gamma);
  std::vector<torch::Tensor> rs, dones;
  for (int t = 0; t < 40; ++t) {
    rs.push_back(torch::randn({cells, K}) * torch::tensor({0.3f, 2.0f}) + torch::tensor({-1.f, 0.5f}));
    dones.push_back(torch::rand({cells}) < 0.1);
    scaler->scale(rs.back(), dones.back());
  }
  const auto expected_std = brute_force_return_std(rs, dones, gamma);

  Rollout ro = Rollout::allocate(T, E, U, 3, 2, 0, U, K, /*D=*/1, torch::kCPU);
  ro.obs.normal_();
  ro.active.fill_(true);
  PolicySpec spec{3, 2, U, K, 16, "user", false};
  ActorCritic policy(spec);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : policy->critic_body->parameters()) p.zero_();
  }
  Lagrange lag(LagrangianConfig{}, 0);
  const auto count_before = scaler->stats->count.clone(), var_before = scaler->stats->var.clone();
  const std::vector<float> c = {0.7f, -2.5f};
  for (const bool raw : {true, false}) {
    WorldModelConfig cfg;
    cfg.hidden = 8;
    cfg.window = 4;
    cfg.horizon = 1;
    cfg.warmup_iterations = 0;
    cfg.imagine_cells = 6;
    cfg.raw_targets = raw;
    WorldModelLearner wm(cfg, spec, K, U, torch::kCPU, scaler);
    EXPECT_EQ(wm.learns_raw_rewards(), raw);
    {
      torch::NoGradGuard no_grad;
      wm.model()->reward_head->weight.zero_();
      wm.model()->reward_head->bias.copy_(torch::tensor(c));
    }
    auto returns = torch::zeros({T, E, U, K});
    const ImaginedBatch im = wm.imagine(ro, policy, lag, returns, gamma, 0.95, 0);
    ASSERT_TRUE(im.valid);
    ASSERT_EQ(im.returns.sizes().vec(), (std::vector<int64_t>{cfg.imagine_cells, U, K}));
    for (int64_t k = 0; k < K; ++k) {
      const double want = raw ? c[k] / expected_std[k] : c[k];
      const auto got = im.returns.select(-1, k);
      EXPECT_NEAR(got.min().item<double>(), want, 1e-5 * std::abs(want)) << "stream " << k << " raw " << raw;
      EXPECT_NEAR(got.max().item<double>(), want, 1e-5 * std::abs(want)) << "stream " << k << " raw " << raw;
    }
  }
  // No scaler (ppo.norm_reward off): the streams are raw already, nothing to learn apart.
  WorldModelConfig cfg;
  EXPECT_FALSE(WorldModelLearner(cfg, spec, K, U, torch::kCPU).learns_raw_rewards());
  // Imagination read the scaler without updating it.
  EXPECT_TRUE(torch::equal(scaler->stats->count, count_before));
  EXPECT_TRUE(torch::equal(scaler->stats->var, var_before));
}

}  // namespace
}  // namespace mecrl::agents
