// The CUDA backend's executor for ScenarioEnv: device memory, and kernels
// that run a scenario's MECRL_HD code either as teams (one thread per user,
// cuda/cuda_team.cuh; the env step and reset) or one thread per env (the
// heuristic baselines, which are sequential algorithms per env). State is
// env-major and user-minor, the CPU's layout (core/soa.h): a team's
// neighbouring lanes touch neighbouring words.
#pragma once

#include <cuda_runtime.h>

#include "core/team.h"
#include "cuda/check.cuh"
#include "cuda/cuda_team.cuh"
#include "envs/vec_env.h"

namespace mecrl::cuda {

// ---- kernels
template <class F>
__global__ void for_each_env_kernel(int n, F f) {
  const int e = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (e < n) f(e);
}

// Teams of one block never exceed 1024 threads, so 64 registers per thread
// at most (a block of 1024 must fit an SM's 64k registers).
template <class F>
__global__ void __launch_bounds__(kMaxTeamWidth) team_kernel(int num_envs, TeamShape shape, F f) {
  extern __shared__ __align__(16) unsigned char team_memory[];
  const TeamSlot slot = team_slot(shape, static_cast<int>(threadIdx.x));
  const int e = static_cast<int>(blockIdx.x) * shape.teams_per_block + slot.team;
  if (e >= num_envs) return;  // whole teams only: the other teams' barriers do not wait for them
  CudaTeam team(shape, slot.lane, team_memory + static_cast<size_t>(slot.team) * shape.team_bytes);
  f(team, e);
}

// ---- executor
struct CudaExec {
  cudaStream_t stream = nullptr;  // 0 = legacy default stream; LibTorch code passes its current stream
  int block = 128;                // threads per block of for_each
  // Shared memory per block up to which a team stages its observation rows
  // (the default limit without opting in; more would cost resident blocks).
  size_t stage_budget_bytes = 48 * 1024;

  Device device() const { return Device::Cuda; }
  void* alloc(size_t bytes) const {
    void* p = nullptr;
    if (bytes) MECRL_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
  }
  void free(void* p) const {
    if (p) cudaFree(p);  // no throw from destructors
  }
  void zero(void* p, size_t bytes) const {
    if (p) MECRL_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream));
  }
  void to_host(void* dst, const void* src, size_t bytes) const {
    if (!bytes) return;
    MECRL_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
    MECRL_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  void from_host(void* dst, const void* src, size_t bytes) const {
    if (!bytes) return;
    MECRL_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
    MECRL_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  void set_stream(void* s) { stream = static_cast<cudaStream_t>(s); }
  void synchronize() const { MECRL_CUDA_CHECK(cudaStreamSynchronize(stream)); }

  // f(e) for every env e < n, one thread each.
  template <class F>
  void for_each(int n, const F& f) const {
    if (n <= 0) return;
    const int grid = (n + block - 1) / block;
    for_each_env_kernel<F><<<grid, block, 0, stream>>>(n, f);
    MECRL_CUDA_CHECK_LAUNCH();
  }

  // f(team, e) for every env e < n, one team of team_width(c.users) lanes each.
  template <class F>
  void for_each_team(int n, const TeamConfig& c, const F& f) const {
    if (n <= 0) return;
    const TeamShape shape = make_team_shape(c, stage_budget_bytes);
    const size_t smem = static_cast<size_t>(shape.teams_per_block) * shape.team_bytes;
    if (smem > 48 * 1024) {  // above the default limit a kernel must opt in
      MECRL_CUDA_CHECK(cudaFuncSetAttribute(team_kernel<F>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(smem)));
    }
    const int grid = (n + shape.teams_per_block - 1) / shape.teams_per_block;
    team_kernel<F><<<grid, shape.block, smem, stream>>>(n, shape, f);
    MECRL_CUDA_CHECK_LAUNCH();
  }
};

}  // namespace mecrl::cuda
