// CPU vs GPU for cartpole: one lane per env through the same team executor
// as the MEC scenarios. CartPole keeps gymnasium's float64 state and the C
// library's sin/cos (it must match gymnasium, tests/envs/cartpole), and
// CUDA's double sin/cos may differ from glibc's in the last bit, so
// observations are compared to float precision and episode ends exactly
// (an ulp moves a threshold crossing only with negligible probability).
// Skips without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cpu_gpu_compare.h"
#include "envs/cartpole/cartpole.h"

namespace mecrl {
namespace {

TEST(CartPoleCudaVsCpu, SameEpisodesAsTheCpu) {
  if (!cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const int envs = 1000, steps = 300;
  const cartpole::CartPoleParams p{};
  ScenarioEnv<cartpole::CartPoleScenario, CpuExec> cpu(p, envs, CpuExec{0});
  auto gpu = cuda::make_cartpole_env(p, envs);
  std::vector<int32_t> act(envs);
  auto* act_dev = static_cast<int32_t*>(cuda::device_alloc(envs * sizeof(int32_t)));
  std::vector<float> obs(envs * 4);
  std::vector<uint8_t> term(envs), trunc(envs);
  long episodes = 0;
  for (int t = 0; t < steps; ++t) {
    cpu.act_baseline("random", act.data());
    cuda::copy_to_device(act_dev, act.data(), envs * sizeof(int32_t));
    cpu.step(act.data());
    gpu->step(act_dev);
    cuda::copy_to_host(obs.data(), gpu->buffers().obs, obs.size() * sizeof(float));
    cuda::copy_to_host(term.data(), gpu->buffers().terminated, envs);
    cuda::copy_to_host(trunc.data(), gpu->buffers().truncated, envs);
    for (int e = 0; e < envs; ++e) {
      ASSERT_EQ(term[e], cpu.buffers().terminated[e]) << "env " << e << " step " << t;
      ASSERT_EQ(trunc[e], cpu.buffers().truncated[e]) << "env " << e << " step " << t;
      episodes += term[e] + trunc[e];
      for (int k = 0; k < 4; ++k) ASSERT_NEAR(obs[e * 4 + k], cpu.buffers().obs[e * 4 + k], 1e-5) << "env " << e;
    }
  }
  cuda::device_free(act_dev);
  EXPECT_GT(episodes, envs);  // every env went through resets
}

}  // namespace
}  // namespace mecrl
