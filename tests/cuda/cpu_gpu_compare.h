// CPU vs GPU alignment check shared by every scenario (EnvPool's third
// test): both backends start from the same seed, the GPU's own baseline
// decisions must equal the CPU's, both are stepped with the CPU's actions,
// and every step buffer (observations, masks, rewards, costs, flags,
// episode statistics) must be byte-identical after every step; so must the
// whole simulator state at the end (both backends use one layout).
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cuda/backend.h"
#include "envs/cpu_exec.h"
#include "envs/scenario_env.h"

namespace mecrl::testing {

// (pointer, bytes) of every buffer in StepBuffers, in declaration order.
struct BufferList {
  std::vector<std::pair<const void*, size_t>> fields;
  template <class T>
  void take(T*& p, size_t count) {
    fields.emplace_back(p, count * sizeof(T));
  }
};

inline BufferList buffers_of(const VecEnv& env) {
  StepBuffers b = env.buffers();
  BufferList list;
  b.visit(list, env.dims());
  return list;
}

// Steps `cpu` and `gpu` (the same envs on the two backends) with the CPU's
// `policy` baseline for `steps` steps; the GPU's own baseline decision, every
// step buffer after every step and the final state must be identical.
inline void expect_identical_envs(VecEnv& cpu, VecEnv& gpu, int steps, const std::string& policy) {
  const EnvDims d = cpu.dims();
  ASSERT_EQ(d.num_envs, gpu.dims().num_envs);
  ASSERT_EQ(d.users, gpu.dims().users);
  const size_t n_act = static_cast<size_t>(d.num_envs) * d.users;
  std::vector<int32_t> act(n_act), gpu_act(n_act);
  auto* act_dev = static_cast<int32_t*>(cuda::device_alloc(n_act * sizeof(int32_t)));
  const BufferList cb = buffers_of(cpu), gb = buffers_of(gpu);
  ASSERT_EQ(cb.fields.size(), gb.fields.size());
  auto compare = [&](int t) {
    gpu.synchronize();
    for (size_t k = 0; k < cb.fields.size(); ++k) {
      std::vector<char> host(gb.fields[k].second);
      if (!host.empty()) cuda::copy_to_host(host.data(), gb.fields[k].first, host.size());
      ASSERT_EQ(cb.fields[k].second, gb.fields[k].second);
      ASSERT_EQ(0, std::memcmp(host.data(), cb.fields[k].first, host.size()))
          << "step buffer #" << k << " (StepBuffers order) differs after step " << t;
    }
  };
  compare(-1);  // the first observation, after the reset
  long mismatched = 0;
  for (int t = 0; t < steps; ++t) {
    cpu.act_baseline(policy, act.data());
    gpu.act_baseline(policy, act_dev);  // the GPU's own decision
    gpu.synchronize();
    cuda::copy_to_host(gpu_act.data(), act_dev, n_act * sizeof(int32_t));
    mismatched += gpu_act != act;
    cuda::copy_to_device(act_dev, act.data(), n_act * sizeof(int32_t));
    cpu.step(act.data());
    gpu.step(act_dev);
    compare(t);
    if (::testing::Test::HasFatalFailure()) break;
  }
  cuda::device_free(act_dev);
  EXPECT_EQ(mismatched, 0) << "baseline " << policy << " decided differently on the GPU";
  EXPECT_TRUE(cpu.save_state() == gpu.save_state()) << "simulator state differs after " << steps << " steps";
}

template <class Sc>
void expect_identical_trajectories(const typename Sc::Params& p, std::unique_ptr<VecEnv> gpu, int envs, int steps,
                                   const std::string& policy) {
  ScenarioEnv<Sc, CpuExec> cpu(p, envs, CpuExec{0});
  expect_identical_envs(cpu, *gpu, steps, policy);
}

}  // namespace mecrl::testing
