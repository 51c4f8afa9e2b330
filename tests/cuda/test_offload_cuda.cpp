// CPU vs GPU for the offload scenario: the CUDA backend must give the very
// same trajectories as the CPU backend, byte for byte. Both run the same
// MECRL_HD functions; transcendentals are ours (core/hdmath.h) and FMA
// contraction is off on both sides. Skips without a GPU.
#include <gtest/gtest.h>

#include "core/config.h"
#include "cpu_gpu_compare.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"

namespace mecrl {
namespace {

offload::OffloadParams params(const std::vector<std::string>& overrides) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  return offload::read_offload_params(r);
}

class OffloadCudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  void run(const std::vector<std::string>& overrides, int envs, int steps, const char* policy) {
    const auto p = params(overrides);
    testing::expect_identical_trajectories<offload::OffloadScenario>(p, cuda::make_offload_env(p, envs), envs, steps,
                                                                     policy);
  }
};

TEST_F(OffloadCudaVsCpu, RandomPolicyBitIdentical) { run({"env.num_users=50", "env.episode_slots=300"}, 256, 700, "random"); }
TEST_F(OffloadCudaVsCpu, GoaMultiServerBitIdentical) {
  run({"env.num_users=100", "env.num_servers=4", "env.episode_slots=200"}, 64, 450, "goa");
}
TEST_F(OffloadCudaVsCpu, GreedyAtN200) { run({"env.num_users=200", "env.episode_slots=400"}, 32, 500, "greedy"); }

// Team sizes of the execution model (core/team.h): N = 1 and 7 (several envs
// per warp), 33 (two warps, one lane used in the second), 200 (7 warps),
// 256 (a full block of 8 warps). Busy cells and short episodes, so queues,
// batches and auto-resets all occur; the decision-timed quality charge too.
TEST_F(OffloadCudaVsCpu, TeamSizesBitIdentical) {
  for (int n : {1, 7, 33, 200, 256}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    const std::string users = "env.num_users=" + std::to_string(n);
    run({users, "env.episode_slots=60", "env.think_time_s=2"}, n < 32 ? 300 : 40, 130, "random");
    run({users, "env.num_servers=3", "env.episode_slots=50", "env.think_time_s=2",
         "env.constraints.quality_cost_timing=decision"},
        n < 32 ? 200 : 20, 110, "greedy");
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace mecrl
