// The world model learns a known linear system: x' = M x + b [a = 1],
// reward = w . x. Its validation error (measured each iteration on a fresh
// rollout it has not trained on) must fall to a small fraction of the
// variance of the state change. With wm.raw_targets, imagination puts the
// reward head's raw predictions into the return scaler's current scale:
// checked against the std of the discounted returns recomputed here by
// brute force. Value expansion reaches every cell with the state a per-start
// loop computes, and the model's weight follows its measured error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
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

// A model small and quick enough to learn the linear system in ~30 iterations.
WorldModelConfig linear_system_config(int warmup_iterations, float gate_threshold) {
  WorldModelConfig cfg;
  cfg.hidden = 32;
  cfg.window = 8;
  cfg.batch_windows = 128;
  cfg.updates = 8;
  cfg.lr = 3e-3f;
  cfg.warmup_iterations = warmup_iterations;
  cfg.gate_threshold = gate_threshold;
  return cfg;
}

TEST(WorldModel, FitsKnownLinearSystem) {
  torch::manual_seed(0);
  const auto M = torch::tensor({{0.9f, 0.1f, 0.f}, {0.f, 0.8f, 0.2f}, {0.1f, 0.f, 0.7f}});
  const auto b = torch::tensor({0.5f, -0.3f, 0.2f});
  const auto w = torch::tensor({1.f, -1.f, 0.5f});
  const WorldModelConfig cfg = linear_system_config(0, 0.1f);
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


// A rollout for imagination: random features, actions and activity; env 1's
// episode ends at slot 6 (the model's state must start empty after it). Every
// action mask allows action 1 only, so the imagined policy is deterministic.
Rollout imagination_rollout(int64_t T, int64_t E, int64_t U, int64_t F) {
  Rollout ro = Rollout::allocate(T, E, U, F, 2, 0, U, 1, /*D=*/1, torch::kCPU);
  ro.obs.normal_();
  ro.actions.copy_(torch::randint(0, 2, {T, E, U}, torch::kInt64));
  ro.active.copy_(torch::rand({T, E, U}) < 0.7);
  ro.joint.copy_((ro.actions * ro.active).to(torch::kFloat32).mean(2).unsqueeze(-1));
  ro.terminated.zero_();
  ro.truncated.zero_();
  ro.truncated[6][1] = true;
  ro.action_mask.zero_();
  ro.action_mask.select(-1, 1).fill_(true);
  return ro;
}

// V_mve of start cell (t0, e) by a plain loop: the GRU reads the real slots
// since its state was last emptied, then H imagined steps, then the critic.
// The state is emptied at episode ends and by two passes every L slots
// (at 0 and at L/2); the start uses the pass emptied longer ago.
torch::Tensor brute_force_mve(WorldModel& m, ActorCritic& policy, const Rollout& ro, int64_t t0, int64_t e, int64_t L,
                              int64_t H, double gamma) {
  const int64_t U = ro.obs.size(2);
  const int64_t last0 = t0 / L * L, last1 = t0 < L / 2 ? 0 : (t0 - L / 2) / L * L + L / 2;
  const int64_t emptied = std::min(last0, last1);
  EXPECT_GE(t0 - emptied, L / 2) << "a start has at least L/2 slots of history (or an episode start in them)";
  int64_t from = emptied;
  for (int64_t t = 0; t < t0; ++t) {
    if (ro.truncated[t][e].item<bool>() || ro.terminated[t][e].item<bool>()) from = std::max(from, t + 1);
  }
  auto h = torch::zeros({U, m->hidden});
  for (int64_t t = from; t < t0; ++t) {
    const auto onehot = torch::one_hot(ro.actions[t][e], 2).to(torch::kFloat32) * ro.active[t][e].unsqueeze(-1);
    h = m->step(torch::cat({ro.obs[t][e], onehot, ro.joint[t][e].expand({U, 1})}, -1), h);
  }
  auto s = ro.obs[t0][e].clone();
  auto active = ro.active[t0][e].clone();
  std::vector<torch::Tensor> r, c;
  for (int64_t k = 0; k < H; ++k) {
    const auto a = active.to(torch::kInt64);  // action 1 where active (the only one allowed)
    const auto onehot = torch::one_hot(a, 2).to(torch::kFloat32) * active.unsqueeze(-1);
    h = m->step(torch::cat({s, onehot, onehot.narrow(-1, 1, 1).mean(0, true).expand({U, 1})}, -1), h);
    r.push_back(m->reward_head(h));                          // [U, 1]
    c.push_back(torch::sigmoid(m->cont_head(h)).mean());    // []
    active = torch::sigmoid(m->active_head(h)).squeeze(-1) > 0.5;
    s = s + m->delta_head(h);
  }
  auto ret = policy->values(s.unsqueeze(0))[0];  // [U, 1]
  for (int64_t k = H - 1; k >= 0; --k) ret = r[k] + gamma * c[k] * ret;
  return ret;
}

// With weight w and beta, every expanded cell's critic target becomes
// old + beta w (V_mve - old), V_mve as the plain loop computes it; cells
// before slot L/2 and (with wm.mve_cells) cells not picked keep theirs. Run
// with one chunk of envs and with one env per chunk.
TEST(WorldModel, ValueExpansionOfEveryCellMatchesAPerStartLoop) {
  torch::manual_seed(5);
  const int64_t T = 13, E = 3, U = 4, F = 3, L = 5, H = 2;
  const double gamma = 0.9, beta = 0.5, w = 0.4;
  const Rollout ro = imagination_rollout(T, E, U, F);
  PolicySpec spec{F, 2, U, 1, 16, "user", false};
  ActorCritic policy(spec);
  Lagrange lag(LagrangianConfig{}, 0);
  for (const int64_t mve_cells : {int64_t{0}, int64_t{7}}) {
    for (const bool chunked : {false, true}) {
      WorldModelConfig cfg;
      cfg.hidden = 8;
      cfg.window = L;
      cfg.horizon = H;
      cfg.warmup_iterations = 0;
      cfg.mve_beta = static_cast<float>(beta);
      cfg.mve_cells = static_cast<int>(mve_cells);
      cfg.imagine_cells = 2;
      WorldModelLearner wm(cfg, spec, 1, U, torch::kCPU);
      wm.load_replay({{"model_weight", torch::tensor(static_cast<float>(w))}}, "test");
      if (chunked) wm.set_state_budget(cfg.hidden * T * U);  // one env per chunk
      const auto before = torch::randn({T, E, U, 1});
      auto returns = before.clone();
      const ImaginedBatch im = wm.imagine(ro, policy, lag, returns, gamma, 0.95, 0);
      ASSERT_TRUE(im.valid);
      EXPECT_EQ(im.start_cells, 2);
      EXPECT_EQ(im.actions.size(0), H * 2);
      const int64_t expanded_cells = mve_cells == 0 ? (T - L / 2) * E : mve_cells;
      EXPECT_EQ(im.mve_cells, expanded_cells);
      int64_t changed = 0;
      torch::NoGradGuard no_grad;
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t e = 0; e < E; ++e) {
          if (torch::equal(returns[t][e], before[t][e])) continue;
          ++changed;
          ASSERT_GE(t, L / 2) << "a cell without L/2 slots of history was expanded";
          const auto mve = brute_force_mve(wm.model(), policy, ro, t, e, L, H, gamma);
          const auto want = before[t][e] + beta * w * (mve - before[t][e]);
          EXPECT_TRUE(torch::allclose(returns[t][e], want, 1e-4, 1e-5))
              << "cell (" << t << ", " << e << ") mve_cells " << mve_cells << " chunked " << chunked << "\n"
              << returns[t][e] << "\n" << want;
        }
      }
      EXPECT_EQ(changed, expanded_cells) << "mve_cells " << mve_cells << " chunked " << chunked;
    }
  }
}

// The model's weight from its validation error e on the fresh rollout (the
// reward head's 1 - R^2, before training on it): wm.weighting gate gives
// 1{e < threshold}, error gives max(0, 1 - e / threshold); 0 in the warm-up.
TEST(WorldModel, WeightFollowsTheMeasuredError) {
  const auto M = torch::tensor({{0.9f, 0.1f, 0.f}, {0.f, 0.8f, 0.2f}, {0.1f, 0.f, 0.7f}});
  const auto b = torch::tensor({0.5f, -0.3f, 0.2f});
  const auto wv = torch::tensor({1.f, -1.f, 0.5f});
  PolicySpec spec{3, 2, 4, 1, 16, "user", false};
  ActorCritic policy(spec);
  for (const std::string weighting : {"gate", "error"}) {
    torch::manual_seed(11);
    WorldModelConfig cfg = linear_system_config(1, 0.3f);
    cfg.weighting = weighting;
    WorldModelLearner wm(cfg, spec, 1, 4, torch::kCPU);
    std::vector<double> errors, weights;
    for (int it = 0; it < 30; ++it) {
      const auto st = wm.fit(linear_rollout(24, 8, 4, M, b, wv), policy, it);
      errors.push_back(st.val_reward_error.item<double>());
      weights.push_back(st.gate.item<double>());
    }
    EXPECT_EQ(weights[0], 0.0) << "warm-up";
    int partial = 0;
    for (size_t i = 1; i < errors.size(); ++i) {
      const double e = errors[i];
      const double want = weighting == "gate" ? (e < 0.3 ? 1.0 : 0.0) : std::clamp(1 - e / 0.3, 0.0, 1.0);
      EXPECT_NEAR(weights[i], want, 1e-6) << weighting << " iteration " << i << " error " << e;
      partial += weights[i] > 0.05 && weights[i] < 0.95;
    }
    // The run passes through both regimes: errors above the threshold early, well below it late.
    EXPECT_GT(errors[1], 0.3);
    EXPECT_LT(errors.back(), 0.1);
    if (weighting == "error") {
      EXPECT_GT(partial, 0) << "no iteration with a weight strictly between 0 and 1";
    }
  }
}

}  // namespace
}  // namespace mecrl::agents
