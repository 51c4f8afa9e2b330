// Same seed -> identical trajectories, across runs and thread counts;
// different seeds differ (EnvPool's determinism check).
#include <gtest/gtest.h>

#include <vector>

#include "offload_test_util.h"

namespace mecrl::offload {
namespace {

using testing::CpuEnv;
using testing::params_with;

struct Trace {
  std::vector<float> obs, reward, costs;
  std::vector<int32_t> actions;
};

Trace run(uint64_t seed, int threads, int steps = 400) {
  OffloadParams p = params_with({"env.num_users=30", "env.episode_slots=150", "env.num_servers=2"});
  p.seed = seed;
  const int E = 8;
  CpuEnv env(p, E, CpuExec{threads});
  const EnvDims& d = env.dims();
  Trace tr;
  std::vector<int32_t> act(static_cast<size_t>(E) * d.users);
  for (int t = 0; t < steps; ++t) {
    env.act_baseline(t % 3 == 0 ? "random" : "goa", act.data());
    env.step(act.data());
    const StepBuffers& b = env.buffers();
    tr.obs.insert(tr.obs.end(), b.obs, b.obs + static_cast<size_t>(E) * d.users * d.features);
    tr.reward.insert(tr.reward.end(), b.reward, b.reward + E);
    tr.costs.insert(tr.costs.end(), b.costs, b.costs + static_cast<size_t>(E) * d.costs);
    tr.actions.insert(tr.actions.end(), act.begin(), act.end());
  }
  return tr;
}

TEST(OffloadDeterminism, SameSeedSameTrajectory) {
  const Trace a = run(42, 1), b = run(42, 1);
  EXPECT_EQ(a.obs, b.obs);
  EXPECT_EQ(a.reward, b.reward);
  EXPECT_EQ(a.costs, b.costs);
  EXPECT_EQ(a.actions, b.actions);
}

TEST(OffloadDeterminism, OneVersusTwoThreads) {
  const Trace a = run(42, 1), b = run(42, 2);
  EXPECT_EQ(a.obs, b.obs);
  EXPECT_EQ(a.reward, b.reward);
  EXPECT_EQ(a.costs, b.costs);
}

TEST(OffloadDeterminism, DifferentSeedsDiffer) {
  const Trace a = run(42, 2, 50), b = run(43, 2, 50);
  EXPECT_NE(a.obs, b.obs);
  EXPECT_NE(a.reward, b.reward);
}

// Restoring a saved state replays the same future (checkpoint/resume).
TEST(OffloadDeterminism, SaveLoadStateReplays) {
  const OffloadParams p = params_with({"env.num_users=20"});
  CpuEnv a(p, 4, CpuExec{1}), b(p, 4, CpuExec{1});
  std::vector<int32_t> act(4 * 20);
  for (int t = 0; t < 100; ++t) {
    a.act_baseline("random", act.data());
    a.step(act.data());
  }
  b.load_state(a.save_state());
  for (int t = 0; t < 100; ++t) {
    a.act_baseline("random", act.data());
    a.step(act.data());
    b.step(act.data());
    ASSERT_EQ(std::vector<float>(a.buffers().reward, a.buffers().reward + 4),
              std::vector<float>(b.buffers().reward, b.buffers().reward + 4));
  }
}

}  // namespace
}  // namespace mecrl::offload
