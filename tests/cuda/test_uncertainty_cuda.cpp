// CPU vs GPU for the uncertainty scenario: the CUDA backend must draw the
// same snapshots, decide the same (GOA, random, ...) and report the same
// delays as the CPU backend, byte for byte. Skips without a GPU.
#include <gtest/gtest.h>

#include "core/config.h"
#include "cpu_gpu_compare.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl {
namespace {

uncertainty::UncertaintyParams params(const std::vector<std::string>& overrides) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/uncertainty.yaml");
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  return uncertainty::read_uncertainty_params(r);
}

class UncertaintyCudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  void run(const std::vector<std::string>& overrides, int envs, int steps, const char* policy) {
    const auto p = params(overrides);
    testing::expect_identical_trajectories<uncertainty::UncertaintyScenario>(
        p, cuda::make_uncertainty_env(p, envs), envs, steps, policy);
  }
};

TEST_F(UncertaintyCudaVsCpu, GoaBitIdentical) { run({"env.num_users=120"}, 512, 4, "goa"); }
TEST_F(UncertaintyCudaVsCpu, RandomBitIdentical) { run({"env.num_users=50"}, 512, 4, "random"); }
// Team sizes of the execution model (core/team.h), see test_offload_cuda.cpp.
TEST_F(UncertaintyCudaVsCpu, TeamSizesBitIdentical) {
  for (int n : {1, 7, 33, 200, 256}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    run({"env.num_users=" + std::to_string(n)}, n < 32 ? 500 : 64, 4, "goa");
    run({"env.num_users=" + std::to_string(n), "env.num_servers=3"}, 64, 3, "random");
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// The join view: proposal passes (random proposals) and decisions alternate,
// the decision's observation holds the proposals' load (team reductions).
TEST_F(UncertaintyCudaVsCpu, JoinViewBitIdentical) {
  run({"env.num_users=120", "env.join_view=true"}, 256, 6, "random");
  run({"env.num_users=33", "env.join_view=true", "env.num_servers=3"}, 300, 5, "goa");
}

TEST_F(UncertaintyCudaVsCpu, DminAndEdgeBitIdentical) {
  run({"env.num_users=80", "env.tau=1"}, 256, 3, "dmin");
  run({"env.num_users=80"}, 256, 3, "edge");
}

}  // namespace
}  // namespace mecrl
