// The GPU backend's execution of every scenario, emulated on CPU threads
// (tests/emulated_block.h: BlockTeam, the code CudaExec launches, with its
// warp operations emulated), against the CPU backend (SerialTeam): same step
// buffers and same state bytes after every step, through an episode end.
// This is the CPU-side half of the CPU-vs-GPU identity (tests/cuda/ is the
// other): it shows the block path computes what the serial path computes,
// with N not a multiple of 32, N < 32 (teams sharing a warp), N = 1, the
// staged and the direct observation writes.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/config.h"
#include "emulated_block.h"
#include "envs/cartpole/cartpole.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl {
namespace {

using testing::EmulatedBlockExec;

struct ByteList {
  std::vector<std::pair<const void*, size_t>> fields;
  template <class T>
  void take(T*& p, size_t count) {
    fields.emplace_back(p, count * sizeof(T));
  }
};

// Steps both envs with the CPU env's baseline actions and compares every
// step buffer and the whole state after each step.
template <class Sc>
void expect_same_bytes(const typename Sc::Params& p, int envs, int steps, const std::string& policy,
                       size_t stage_budget = 48 * 1024) {
  ScenarioEnv<Sc, CpuExec> cpu(p, envs, CpuExec{1});
  EmulatedBlockExec exec;
  exec.stage_budget_bytes = stage_budget;
  ScenarioEnv<Sc, EmulatedBlockExec> block(p, envs, exec);
  ByteList a, b;
  StepBuffers ba = cpu.buffers(), bb = block.buffers();
  ba.visit(a, cpu.dims());
  bb.visit(b, block.dims());
  std::vector<int32_t> act(static_cast<size_t>(envs) * cpu.dims().users);
  for (int t = -1; t < steps; ++t) {
    if (t >= 0) {
      cpu.act_baseline(policy, act.data());
      cpu.step(act.data());
      block.step(act.data());
    }
    for (size_t k = 0; k < a.fields.size(); ++k) {
      ASSERT_EQ(0, std::memcmp(a.fields[k].first, b.fields[k].first, a.fields[k].second))
          << "step buffer #" << k << " (StepBuffers order) differs after step " << t;
    }
    ASSERT_EQ(cpu.save_state(), block.save_state()) << "state differs after step " << t;
  }
}

offload::OffloadParams offload_params(const std::vector<std::string>& overrides) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  return offload::read_offload_params(r);
}

uncertainty::UncertaintyParams uncertainty_params(const std::vector<std::string>& overrides) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/uncertainty.yaml");
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  return uncertainty::read_uncertainty_params(r);
}

// Short episodes so the auto-reset (final observation, episode statistics,
// new draw) runs inside the compared steps; a busy cell (short think time)
// so queues, batches and completions happen in a few slots.
std::vector<std::string> busy_offload(int users, int servers) {
  return {"env.num_users=" + std::to_string(users), "env.num_servers=" + std::to_string(servers),
          "env.episode_slots=9", "env.think_time_s=0.5"};
}

TEST(TeamEmulation, OffloadSmallTeamsShareWarps) {
  expect_same_bytes<offload::OffloadScenario>(offload_params(busy_offload(1, 1)), 5, 12, "random");
  expect_same_bytes<offload::OffloadScenario>(offload_params(busy_offload(7, 2)), 20, 12, "random");
}

TEST(TeamEmulation, OffloadTeamsOfSeveralWarps) {
  expect_same_bytes<offload::OffloadScenario>(offload_params(busy_offload(33, 3)), 2, 12, "greedy");
  expect_same_bytes<offload::OffloadScenario>(offload_params(busy_offload(200, 1)), 1, 11, "offload");
}

TEST(TeamEmulation, OffloadFullBlockAndUnstagedRows) {
  auto p = offload_params(busy_offload(256, 2));
  p.quality_cost_at_decision = true;  // the decision-timed charge fold
  expect_same_bytes<offload::OffloadScenario>(p, 1, 10, "random");
  expect_same_bytes<offload::OffloadScenario>(offload_params(busy_offload(33, 1)), 2, 10, "random",
                                              /*stage_budget=*/0);  // rows written straight to the buffer
}

TEST(TeamEmulation, Uncertainty) {
  expect_same_bytes<uncertainty::UncertaintyScenario>(uncertainty_params({"env.num_users=7"}), 9, 3, "goa");
  expect_same_bytes<uncertainty::UncertaintyScenario>(uncertainty_params({"env.num_users=33"}), 2, 3, "random");
  expect_same_bytes<uncertainty::UncertaintyScenario>(uncertainty_params({"env.num_users=200", "env.num_servers=2"}),
                                                      1, 2, "edge");
}

TEST(TeamEmulation, CartPole) {
  expect_same_bytes<cartpole::CartPoleScenario>(cartpole::CartPoleParams{}, 300, 60, "random");
}

}  // namespace
}  // namespace mecrl
