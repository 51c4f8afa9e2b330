// CPU vs GPU: the offload scenario stepped by the CUDA backend must give the
// very same trajectories as the CPU backend (EnvPool's alignment test).
// Both run the same MECRL_HD functions; transcendentals are ours
// (core/hdmath.h) and FMA contraction is off on both sides, so we expect
// bit-identical observations, rewards and costs. Skips without a GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/config.h"
#include "cuda/backend.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"

namespace mecrl {
namespace {

offload::OffloadParams params(const std::vector<std::string>& overrides) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  return offload::read_offload_params(r);
}

template <class T>
std::vector<T> download(const T* device_ptr, size_t count) {
  std::vector<T> v(count);
  cuda::copy_to_host(v.data(), device_ptr, count * sizeof(T));
  return v;
}

void expect_same_trajectories(const offload::OffloadParams& p, int envs, int steps, const char* policy) {
  ScenarioEnv<offload::OffloadScenario, CpuExec> cpu(p, envs, CpuExec{0});
  auto gpu = cuda::make_offload_env(p, envs);
  const EnvDims d = cpu.dims();
  const size_t n_act = static_cast<size_t>(envs) * d.users;
  const size_t n_obs = n_act * d.features;
  std::vector<int32_t> act(n_act), gpu_act_host(n_act);
  auto* act_dev = static_cast<int32_t*>(cuda::device_alloc(n_act * sizeof(int32_t)));
  long mismatched_actions = 0;
  for (int t = 0; t < steps; ++t) {
    cpu.act_baseline(policy, act.data());
    gpu->act_baseline(policy, act_dev);  // the GPU's own decision, compared below
    cuda::copy_to_host(gpu_act_host.data(), act_dev, n_act * sizeof(int32_t));
    mismatched_actions += gpu_act_host != act;
    cuda::copy_to_device(act_dev, act.data(), n_act * sizeof(int32_t));  // step both with the CPU's actions
    cpu.step(act.data());
    gpu->step(act_dev);
    const StepBuffers& g = gpu->buffers();
    const StepBuffers& c = cpu.buffers();
    const auto obs = download(g.obs, n_obs);
    const auto rew = download(g.reward, envs);
    const auto cost = download(g.costs, static_cast<size_t>(envs) * d.costs);
    const auto trunc = download(g.truncated, envs);
    ASSERT_EQ(0, std::memcmp(obs.data(), c.obs, n_obs * sizeof(float))) << "obs differ at step " << t;
    ASSERT_EQ(0, std::memcmp(rew.data(), c.reward, envs * sizeof(float))) << "reward differs at step " << t;
    ASSERT_EQ(0, std::memcmp(cost.data(), c.costs, cost.size() * sizeof(float))) << "costs differ at step " << t;
    ASSERT_EQ(0, std::memcmp(trunc.data(), c.truncated, envs)) << "truncation differs at step " << t;
  }
  cuda::device_free(act_dev);
  EXPECT_EQ(mismatched_actions, 0) << "baseline " << policy << " decided differently on the GPU";
}

class OffloadCudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_F(OffloadCudaVsCpu, RandomPolicyBitIdentical) {
  expect_same_trajectories(params({"env.num_users=50", "env.episode_slots=300"}), 256, 700, "random");
}

TEST_F(OffloadCudaVsCpu, GoaMultiServerBitIdentical) {
  expect_same_trajectories(params({"env.num_users=100", "env.num_servers=4", "env.episode_slots=200"}), 64, 450,
                           "goa");
}

TEST_F(OffloadCudaVsCpu, GreedyAtN200) {
  expect_same_trajectories(params({"env.num_users=200", "env.episode_slots=400"}), 32, 500, "greedy");
}

}  // namespace
}  // namespace mecrl
