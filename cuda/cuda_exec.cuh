// The CUDA backend's executor for ScenarioEnv: device memory and a kernel
// with one thread per env calling the scenario's MECRL_HD functor. State is
// laid out env-minor, so a warp's 32 envs read 32 neighbouring words.
#pragma once

#include <cuda_runtime.h>

#include "cuda/check.cuh"
#include "envs/vec_env.h"

namespace mecrl::cuda {

// ---- kernels
template <class F>
__global__ void for_each_env_kernel(int n, F f) {
  const int e = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (e < n) f(e);
}

// ---- executor
struct CudaExec {
  cudaStream_t stream = nullptr;  // 0 = legacy default stream; LibTorch code passes its current stream
  int block = 128;

  Device device() const { return Device::Cuda; }
  bool env_minor() const { return true; }
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

  template <class F>
  void for_each(int n, const F& f) const {
    if (n <= 0) return;
    const int grid = (n + block - 1) / block;
    for_each_env_kernel<F><<<grid, block, 0, stream>>>(n, f);
    MECRL_CUDA_CHECK_LAUNCH();
  }
};

}  // namespace mecrl::cuda
