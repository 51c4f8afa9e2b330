// CPU vs GPU: the uncertainty scenario on the CUDA backend must draw the same
// snapshots, decide the same (GOA, random, ...) and report the same delays
// as the CPU backend, bit for bit (same MECRL_HD source, our
// transcendentals, no FMA contraction on either side). Skips without a GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/config.h"
#include "cuda/backend.h"
#include "envs/cpu_exec.h"
#include "envs/scenario_env.h"
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

template <class T>
std::vector<T> download(const T* device_ptr, size_t count) {
  std::vector<T> v(count);
  cuda::copy_to_host(v.data(), device_ptr, count * sizeof(T));
  return v;
}

void expect_same(const uncertainty::UncertaintyParams& p, int envs, int steps, const char* policy) {
  ScenarioEnv<uncertainty::UncertaintyScenario, CpuExec> cpu(p, envs, CpuExec{0});
  auto gpu = cuda::make_uncertainty_env(p, envs);
  const EnvDims d = cpu.dims();
  const size_t n_act = static_cast<size_t>(envs) * d.users;
  const size_t n_obs = n_act * d.features;
  std::vector<int32_t> act(n_act), gpu_act(n_act);
  auto* act_dev = static_cast<int32_t*>(cuda::device_alloc(n_act * sizeof(int32_t)));
  const StepBuffers& c = cpu.buffers();
  const StepBuffers& g = gpu->buffers();
  ASSERT_EQ(0, std::memcmp(download(g.obs, n_obs).data(), c.obs, n_obs * sizeof(float))) << "first snapshot";
  ASSERT_EQ(0, std::memcmp(download(g.action_mask, n_act * d.actions).data(), c.action_mask, n_act * d.actions));
  for (int t = 0; t < steps; ++t) {
    cpu.act_baseline(policy, act.data());
    gpu->act_baseline(policy, act_dev);
    cuda::copy_to_host(gpu_act.data(), act_dev, n_act * sizeof(int32_t));
    ASSERT_EQ(gpu_act, act) << policy << " decided differently on the GPU at step " << t;
    cpu.step(act.data());
    gpu->step(act_dev);
    ASSERT_EQ(0, std::memcmp(download(g.reward_user, n_act).data(), c.reward_user, n_act * sizeof(float))) << t;
    ASSERT_EQ(0, std::memcmp(download(g.reward, envs).data(), c.reward, envs * sizeof(float))) << t;
    ASSERT_EQ(0, std::memcmp(download(g.costs, envs).data(), c.costs, envs * sizeof(float))) << t;
    ASSERT_EQ(0, std::memcmp(download(g.ep_info, static_cast<size_t>(envs) * d.info).data(), c.ep_info,
                             static_cast<size_t>(envs) * d.info * sizeof(float))) << t;
    ASSERT_EQ(0, std::memcmp(download(g.final_obs, n_obs).data(), c.final_obs, n_obs * sizeof(float))) << t;
    ASSERT_EQ(0, std::memcmp(download(g.obs, n_obs).data(), c.obs, n_obs * sizeof(float))) << t;
  }
  cuda::device_free(act_dev);
}

class UncertaintyCudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_F(UncertaintyCudaVsCpu, GoaBitIdentical) { expect_same(params({"env.num_users=120"}), 512, 4, "goa"); }
TEST_F(UncertaintyCudaVsCpu, RandomBitIdentical) { expect_same(params({"env.num_users=50"}), 512, 4, "random"); }
TEST_F(UncertaintyCudaVsCpu, DminAndEdgeBitIdentical) {
  expect_same(params({"env.num_users=80", "env.tau=1"}), 256, 3, "dmin");
  expect_same(params({"env.num_users=80"}), 256, 3, "edge");
}

}  // namespace
}  // namespace mecrl
