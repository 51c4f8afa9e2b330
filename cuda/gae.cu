// GAE on the GPU: one thread per column (cuda/gae.h), the rollout's T steps
// walked backwards in registers; neighbouring threads read neighbouring
// columns of each step, so every load is coalesced. One launch per
// iteration instead of T small kernels.
#include <cuda_runtime.h>

#include "cuda/check.cuh"
#include "cuda/gae.h"

namespace mecrl::gae {

namespace {
__global__ void gae_kernel(Args a) {
  const int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (col < a.cols) column(a, col);
}
}  // namespace

void run_cuda(const Args& a, void* stream) {
  if (a.cols <= 0 || a.steps <= 0) return;
  constexpr int kBlock = 256;
  const auto grid = static_cast<unsigned>((a.cols + kBlock - 1) / kBlock);
  gae_kernel<<<grid, kBlock, 0, static_cast<cudaStream_t>(stream)>>>(a);
  MECRL_CUDA_CHECK_LAUNCH();
}

}  // namespace mecrl::gae
