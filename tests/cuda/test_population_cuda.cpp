// CPU vs GPU for the population batch (train.num_users, envs/population_env.h):
// on a GPU the groups step as CUDA envs and the padded buffers are gathered
// on the device (cuda::device_ops()); the whole padded batch, the baselines'
// decisions and the state must equal the CPU population byte for byte,
// through auto-resets. The CPU gather itself is checked against the separate
// envs in tests/agents/test_population.cpp. Skips without a GPU.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/config.h"
#include "cpu_gpu_compare.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/population_env.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl {
namespace {

template <class Read>
auto params(const char* preset, const Read& read, int users, uint32_t first_env, std::vector<std::string> overrides) {
  Config cfg = Config::load(std::string(MECRL_SOURCE_DIR "/configs/") + preset);
  overrides.push_back("env.num_users=" + std::to_string(users));
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  auto p = read(r);
  p.first_env = first_env;
  return p;
}

// The same populations (users[g] users, sizes[g] envs) on both backends.
template <class Sc, class Make, class Read>
void run(const char* preset, const Read& read, const Make& make_gpu, const std::vector<int>& users,
         const std::vector<std::string>& overrides, int num_envs, int steps, const char* policy) {
  const std::vector<int> sizes = population_group_sizes(static_cast<int>(users.size()), num_envs);
  std::vector<std::unique_ptr<VecEnv>> cpu_groups, gpu_groups;
  uint32_t first = 0;
  for (size_t g = 0; g < users.size(); ++g) {
    const auto p = params(preset, read, users[g], first, overrides);
    cpu_groups.push_back(std::make_unique<ScenarioEnv<Sc, CpuExec>>(p, sizes[g], CpuExec{0}));
    gpu_groups.push_back(make_gpu(p, sizes[g]));
    first += static_cast<uint32_t>(sizes[g]);
  }
  PopulationEnv cpu(std::move(cpu_groups)), gpu(std::move(gpu_groups), cuda::device_ops());
  ASSERT_EQ(gpu.device(), Device::Cuda);
  testing::expect_identical_envs(cpu, gpu, steps, policy);
  std::vector<uint8_t> c, g;  // the padded batch's own allocation, padding included
  cpu.copy_buffers_to_host(c);
  gpu.copy_buffers_to_host(g);
  EXPECT_TRUE(c == g);
}

class PopulationCudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

// Team sizes 7 (several envs per warp), 33 and 200 (several warps) in one
// batch padded to 200; 5 envs split 2/2/1; short episodes so cells reset.
TEST_F(PopulationCudaVsCpu, OffloadBitIdentical) {
  const auto read = [](ConfigReader& r) { return offload::read_offload_params(r); };
  const auto make = [](const offload::OffloadParams& p, int n) { return cuda::make_offload_env(p, n); };
  for (const char* policy : {"random", "greedy"}) {
    SCOPED_TRACE(policy);
    run<offload::OffloadScenario>("offload.yaml", read, make, {7, 33, 200},
                                  {"env.episode_slots=60", "env.think_time_s=2", "env.num_servers=2"}, 5, 130, policy);
    if (HasFatalFailure()) return;
  }
}

TEST_F(PopulationCudaVsCpu, UncertaintyBitIdentical) {
  const auto read = [](ConfigReader& r) { return uncertainty::read_uncertainty_params(r); };
  const auto make = [](const uncertainty::UncertaintyParams& p, int n) { return cuda::make_uncertainty_env(p, n); };
  run<uncertainty::UncertaintyScenario>("uncertainty.yaml", read, make, {50, 120}, {}, 64, 4, "goa");
}

}  // namespace
}  // namespace mecrl
