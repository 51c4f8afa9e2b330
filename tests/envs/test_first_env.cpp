// first_env (data-parallel ranks, issue 17): a batch of envs whose first
// global index is k steps exactly like envs k.. of one larger batch, and
// unlike envs 0.. (no two ranks replay the same trajectories). Checked for
// every scenario's random streams: resets, arrivals, fading, snapshots.
#include <gtest/gtest.h>

#include <vector>

#include "envs/cartpole/cartpole.h"
#include "envs/cpu_exec.h"
#include "envs/offload/offload_test_util.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/scenario.h"
#include "envs/uncertainty/uncertainty_test_util.h"

namespace mecrl {
namespace {

// Steps `all` (4 envs) and `tail` (2 envs starting at global index 2) with
// the same actions and compares envs 2-3 of `all` with `tail`'s.
template <class Env, class Params>
void expect_tail_matches(Params p, int steps) {
  Env all(p, 4, CpuExec{1});
  Params q = p;
  q.first_env = 2;
  Env tail(q, 2, CpuExec{1}), head(p, 2, CpuExec{1});
  all.reset_all();
  tail.reset_all();
  head.reset_all();
  const EnvDims& d = all.dims();
  const size_t per_env = static_cast<size_t>(d.users) * d.features;
  std::vector<int32_t> actions(static_cast<size_t>(4) * d.users);
  bool differs = false;
  for (int s = 0; s <= steps; ++s) {
    const float* a = all.buffers().obs;
    for (size_t k = 0; k < 2 * per_env; ++k) {
      ASSERT_EQ(tail.buffers().obs[k], a[2 * per_env + k]) << "step " << s << ", value " << k;
      ASSERT_EQ(head.buffers().obs[k], a[k]) << "step " << s << ", value " << k;
      differs |= tail.buffers().obs[k] != head.buffers().obs[k];
    }
    if (s == steps) break;
    for (size_t k = 0; k < actions.size(); ++k) actions[k] = static_cast<int32_t>((k + s) % d.actions);
    all.step(actions.data());
    tail.step(actions.data() + 2 * d.users);
    head.step(actions.data());
  }
  EXPECT_TRUE(differs) << "envs 0-1 and 2-3 saw the same observations";
}

TEST(FirstEnv, CartPole) { expect_tail_matches<ScenarioEnv<cartpole::CartPoleScenario, CpuExec>>(cartpole::CartPoleParams{}, 30); }

TEST(FirstEnv, Offload) {
  expect_tail_matches<ScenarioEnv<offload::OffloadScenario, CpuExec>>(
      offload::testing::params_with({"env.num_users=6", "env.episode_slots=12"}), 30);
}

TEST(FirstEnv, Uncertainty) {
  expect_tail_matches<ScenarioEnv<uncertainty::UncertaintyScenario, CpuExec>>(uncertainty::testing::params_with(), 5);
}

}  // namespace
}  // namespace mecrl
