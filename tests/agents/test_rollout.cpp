// The rollout runs the actor on the deciding users only, at a fixed
// capacity, and the training loop reads the device once per iteration.
// Expected values come from brute force: nonzero() of the active mask, the
// policy's own log-probabilities recomputed row by row, the host-read counter.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "agents/host_reads.h"
#include "agents/rollout_collector.h"
#include "agents/trainer.h"
#include "core/atomic_file.h"
#include "core/config.h"
#include "core/error.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"
#include "trainer_configs.h"
#include "core/remove_tree.h"

namespace mecrl::agents {
namespace {

using OffEnv = ScenarioEnv<offload::OffloadScenario, CpuExec>;

offload::OffloadParams params(int users) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.override_with({"env.num_users=" + std::to_string(users), "env.episode_slots=40"});
  ConfigReader r(cfg);
  return offload::read_offload_params(r);
}

struct Rig {
  OffEnv env;
  AgentConfig cfg;
  ActorCritic policy;
  ReturnScaler scaler;
  Rollout ro;
  RolloutCollector collector;
  Rig(int users, int envs, int64_t T, int64_t capacity)
      : env(params(users), envs, CpuExec{1}),
        cfg(config(envs, T)),
        policy(PolicySpec{env.dims().features, env.dims().actions, users, 1, 16, "user", false}),
        scaler(envs * users, 1, 0.99),
        ro(Rollout::allocate(T, envs, users, env.dims().features, env.dims().actions, env.dims().costs, users, 1,
                             capacity, torch::kCPU)),
        collector(env, cfg, users, 1) {}
  static AgentConfig config(int envs, int64_t T) {
    AgentConfig c;
    c.train.num_envs = envs;
    c.train.rollout_steps = static_cast<int>(T);
    return c;
  }
};

TEST(Rollout, ActorRowsAreTheDecidingUsers) {
  torch::manual_seed(1);
  const int U = 20, E = 3;
  const int64_t T = 30;
  Rig s(U, E, T, /*capacity=*/E * U);
  s.collector.collect(s.policy, s.scaler, s.ro);
  int64_t decisions = 0;
  for (int64_t t = 0; t < T; ++t) {
    const auto active = s.ro.active[t].reshape({-1});
    const auto truth = active.nonzero().squeeze(1);  // brute force: who decided
    const int64_t n = truth.size(0);
    decisions += n;
    EXPECT_TRUE(torch::equal(s.ro.dec_rows[t].narrow(0, 0, n), truth)) << "slot " << t;
    EXPECT_EQ(s.ro.dec_valid[t].sum().item<int64_t>(), n);
    EXPECT_TRUE((s.ro.dec_rows[t].narrow(0, n, E * U - n) == E * U).all().item<bool>());
    // Users that did not decide act 0; deciders act what was stored for their row.
    const auto acts = s.ro.actions[t].reshape({-1});
    EXPECT_EQ((acts.masked_select(active.logical_not()) != 0).sum().item<int64_t>(), 0);
    EXPECT_TRUE(torch::equal(acts.index_select(0, truth), s.ro.dec_actions[t].narrow(0, 0, n)));
    // The stored log-probability is the policy's, row by row.
    if (n > 0) {
      torch::NoGradGuard no_grad;
      const auto obs = s.ro.obs[t].reshape({E * U, -1}).index_select(0, truth);
      const auto mask = s.ro.action_mask[t].reshape({E * U, -1}).index_select(0, truth);
      const auto logp = log_prob_of(s.policy->logits(obs, mask), s.ro.dec_actions[t].narrow(0, 0, n));
      EXPECT_TRUE(torch::allclose(logp, s.ro.dec_logp[t].narrow(0, 0, n), 1e-6, 1e-6));
    }
  }
  EXPECT_GT(decisions, 0);
  EXPECT_EQ(s.collector.tally().decisions.item<double>(), static_cast<double>(decisions));
  EXPECT_EQ(s.collector.tally().dropped.item<int64_t>(), 0);
}

// With an exploration floor the behaviour log-probability is the mixture's,
// (1 - eps) softmax + eps u recomputed here from the raw logits.
TEST(Rollout, StoredLogProbIsTheExplorationFloorMixture) {
  torch::manual_seed(2);
  const int U = 20, E = 3;
  const int64_t T = 30;
  Rig s(U, E, T, E * U);
  const double eps = 0.25;
  s.policy->spec.exploration_floor = eps;
  s.collector.collect(s.policy, s.scaler, s.ro);
  int64_t checked = 0;
  for (int64_t t = 0; t < T; ++t) {
    const auto truth = s.ro.active[t].reshape({-1}).nonzero().squeeze(1);
    const int64_t n = truth.size(0);
    if (n == 0) continue;
    torch::NoGradGuard no_grad;
    const auto obs = s.ro.obs[t].reshape({E * U, -1}).index_select(0, truth);
    const auto mask = s.ro.action_mask[t].reshape({E * U, -1}).index_select(0, truth);
    const auto p = (1 - eps) * torch::softmax(s.policy->logits(obs, mask), -1) +
                   eps * mask.to(torch::kFloat32) / mask.to(torch::kFloat32).sum(-1, true);
    const auto a = s.ro.dec_actions[t].narrow(0, 0, n);
    const auto logp = p.gather(-1, a.unsqueeze(-1)).squeeze(-1).log();
    EXPECT_TRUE(torch::allclose(logp, s.ro.dec_logp[t].narrow(0, 0, n), 1e-5, 1e-6)) << "slot " << t;
    checked += n;
  }
  EXPECT_GT(checked, 0);
}

// Uniforms are drawn for every user, so a user's sample does not depend on
// how many rows the actor runs on.
TEST(Rollout, SamplesDoNotDependOnTheCapacity) {
  const int U = 20, E = 3;
  const int64_t T = 30;
  torch::manual_seed(7);
  Rig full(U, E, T, E * U);
  full.collector.collect(full.policy, full.scaler, full.ro);
  const int64_t most = full.collector.tally().max_deciders.item<int64_t>();
  ASSERT_GT(most, 0);
  ASSERT_LT(most, E * U);
  torch::manual_seed(7);
  Rig tight(U, E, T, most);
  tight.collector.collect(tight.policy, tight.scaler, tight.ro);
  EXPECT_TRUE(torch::equal(full.ro.actions, tight.ro.actions));
  EXPECT_EQ(full.env.save_state(), tight.env.save_state());
  EXPECT_EQ(tight.collector.tally().dropped.item<int64_t>(), 0);
}

// Past the capacity, deciders act 0, are counted, and never reach the update.
TEST(Rollout, DecidersBeyondTheCapacityAreCountedAndLeftOut) {
  torch::manual_seed(2);
  const int U = 20, E = 3;
  const int64_t T = 30;
  Rig s(U, E, T, /*capacity=*/1);
  s.collector.collect(s.policy, s.scaler, s.ro);
  int64_t dropped = 0;
  for (int64_t t = 0; t < T; ++t) {
    const auto active = s.ro.active[t].reshape({-1});
    const int64_t n = active.sum().item<int64_t>();
    dropped += std::max<int64_t>(0, n - 1);
    if (n > 1) {
      const auto who = active.nonzero().squeeze(1);
      const auto acts = s.ro.actions[t].reshape({-1}).index_select(0, who.narrow(0, 1, n - 1));
      EXPECT_EQ((acts != 0).sum().item<int64_t>(), 0) << "slot " << t;
      EXPECT_EQ(s.ro.dec_rows[t][0].item<int64_t>(), who[0].item<int64_t>());
    }
  }
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(s.collector.tally().dropped.item<int64_t>(), dropped);
}

// With ppo.norm_reward on and wm.raw_targets (the default), the world model
// learns the env's own reward and cost streams: a twin env stepped here with
// the rollout's actions gives them (cell critic: each cell's [reward, costs]),
// not the collector. With wm.raw_targets = false it learns the scaled ones.
TEST(Rollout, WorldModelLearnsTheEnvsRawStreams) {
  torch::manual_seed(4);
  const int U = 10, E = 3;
  const int64_t T = 24;
  OffEnv env(params(U), E, CpuExec{1}), twin(params(U), E, CpuExec{1});
  const EnvDims d = env.dims();
  const int64_t K = 1 + d.costs;
  AgentConfig cfg = Rig::config(E, T);
  cfg.ppo.norm_reward = true;
  cfg.ppo.critic = "cell";
  const PolicySpec spec{d.features, d.actions, U, K, 16, "cell", false};
  ActorCritic policy(spec);
  ReturnScaler scaler(E, K, 0.99);
  Rollout ro = Rollout::allocate(T, E, U, d.features, d.actions, d.costs, 1, K, E * U, torch::kCPU);
  ro.keep_raw_rewards();
  RolloutCollector collector(env, cfg, 1, K);
  collector.collect(policy, scaler, ro);

  const EnvTensors et = wrap_env(twin);
  std::vector<torch::Tensor> streams;
  for (int64_t t = 0; t < T; ++t) {
    const auto a = ro.actions[t].to(torch::kInt32).contiguous();
    twin.step(a.data_ptr<int32_t>());
    streams.push_back(torch::cat({et.reward.reshape({E, 1}), et.costs}, -1).unsqueeze(1).clone());  // [E, 1, K]
  }
  const auto truth = torch::stack(streams);  // [T, E, 1, K] in the env's units
  ASSERT_GT(truth.abs().sum().item<double>(), 0);
  EXPECT_TRUE(torch::equal(ro.raw_rewards, truth));
  EXPECT_FALSE(torch::allclose(ro.rewards, truth)) << "the critic's streams are scaled";
  // The logged reward per step counts the env's own units too (charts/reward_per_step).
  const double reward_sum = truth.select(-1, 0).to(torch::kFloat64).sum().item<double>();
  EXPECT_NEAR(collector.tally().reward_sum.item<double>(), reward_sum, 1e-9 * std::abs(reward_sum));

  WorldModelConfig w;
  w.hidden = 8;
  w.window = 4;
  w.batch_windows = 4;
  w.updates = 1;
  WorldModelLearner wm(w, spec, K, 1, torch::kCPU, scaler);
  EXPECT_TRUE(torch::equal(wm.reward_targets(ro), truth));
  wm.fit(ro, policy, 0);
  auto replay = wm.replay_tensors();
  EXPECT_TRUE(torch::equal(replay.at("replay.0.raw_rewards"), truth)) << "the replay keeps the raw streams";
  EXPECT_EQ(replay.count("replay.0.rewards"), 0u) << "and only them";

  w.raw_targets = false;  // the old behaviour: the streams as scaled when the rollout was collected
  WorldModelLearner legacy(w, spec, K, 1, torch::kCPU, scaler);
  EXPECT_TRUE(torch::equal(legacy.reward_targets(ro), ro.rewards));
  legacy.fit(ro, policy, 0);
  replay = legacy.replay_tensors();
  EXPECT_TRUE(torch::equal(replay.at("replay.0.rewards"), ro.rewards));
  EXPECT_EQ(replay.count("replay.0.raw_rewards"), 0u);
}

// The default configuration reads the device once per iteration: the
// metrics. (Checkpoints, profiling and target_kl add their own, counted apart.)
TEST(Trainer, OneHostReadPerIteration) {
  for (const bool wm : {false, true}) {
    OffEnv env(params(10), 4, CpuExec{1});
    AgentConfig c = test_configs::small_lagrangian_config(0.1f);
    c.train.total_steps = 4 * 32 * 10;
    if (wm) test_configs::add_small_world_model(c);
    c.train.quiet = true;
    Trainer t(env, c, "");
    t.iterate();  // the first iteration also settles the decision capacity
    const HostReadCounts before = host_reads();
    for (int k = 0; k < 3; ++k) t.iterate();
    const HostReadCounts after = host_reads();
    EXPECT_EQ(after[static_cast<size_t>(HostRead::Metrics)] - before[static_cast<size_t>(HostRead::Metrics)], 3)
        << "world model " << wm;
    for (size_t k = 0; k < after.size(); ++k) {
      if (k != static_cast<size_t>(HostRead::Metrics)) {
        EXPECT_EQ(after[k], before[k]) << "category " << k;
      }
    }
    if (wm) {
      EXPECT_GT(t.history().back().wm.gate_open, 0.0);
    }
    EXPECT_LT(t.decision_capacity(), 4 * 10);  // shrank to what the data needs
  }
}

}  // namespace
}  // namespace mecrl::agents

namespace mecrl::agents {
namespace {

// Issue 14, case 1.6: a parameter that turned NaN stops training at the end
// of that iteration, with the quantity named, before the checkpoint is
// overwritten: the one on disk keeps its bytes (and finite weights).
TEST(Trainer, NonFiniteParameterStopsBeforeTheCheckpoint) {
  const std::filesystem::path run = std::filesystem::temp_directory_path() / "mecrl_nonfinite_stop";
  mecrl::remove_tree(run);
  OffEnv env(params(10), 4, CpuExec{1});
  AgentConfig c = test_configs::small_config();
  c.train.checkpoint_every = 1;
  c.train.quiet = true;
  Trainer t(env, c, run.string());
  t.iterate();
  const std::string model = run / "checkpoints" / "last" / "model.safetensors";
  const std::string saved = read_file(model);
  {
    torch::NoGradGuard no_grad;
    t.policy()->parameters().front().view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
  }
  try {
    t.iterate();
    ADD_FAILURE() << "a NaN parameter trained on";
  } catch (const UsageError& e) {  // exit 2 on the command line: the settings diverged
    const std::string what = e.what();
    EXPECT_NE(what.find("iteration 2: "), std::string::npos) << what;
    EXPECT_NE(what.find("training stopped, the last checkpoint is from before it"), std::string::npos) << what;
  }
  EXPECT_EQ(read_file(model), saved);
  mecrl::remove_tree(run);
}

}  // namespace
}  // namespace mecrl::agents
