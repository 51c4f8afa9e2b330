// CudaTeam: the GPU backend's team (core/team.h), BlockTeam over CUDA's warp
// intrinsics. The operations are __host__ __device__ so that scenario code
// (MECRL_HD templates) compiles in nvcc's host pass; they only run on the
// device.
#pragma once

#include <cuda_runtime.h>

#include "core/block_team.h"

namespace mecrl::cuda {

struct CudaWarp {
  MECRL_HD static int lane() {
#if defined(__CUDA_ARCH__)
    return static_cast<int>(threadIdx.x % kWarp);
#else
    return 0;
#endif
  }
  template <class T>
  MECRL_HD static T shfl_xor(unsigned mask, T x, int offset) {
#if defined(__CUDA_ARCH__)
    return __shfl_xor_sync(mask, x, offset);
#else
    (void)mask;
    (void)offset;
    return x;
#endif
  }
  MECRL_HD static unsigned ballot(unsigned mask, bool p) {
#if defined(__CUDA_ARCH__)
    return __ballot_sync(mask, p);
#else
    (void)mask;
    return p ? 1u : 0u;
#endif
  }
  MECRL_HD static int popc(unsigned bits) {
#if defined(__CUDA_ARCH__)
    return __popc(bits);
#else
    int c = 0;
    for (; bits; bits &= bits - 1u) ++c;
    return c;
#endif
  }
  MECRL_HD static void sync_warp(unsigned mask) {
#if defined(__CUDA_ARCH__)
    __syncwarp(mask);
#else
    (void)mask;
#endif
  }
  MECRL_HD static void sync_block() {
#if defined(__CUDA_ARCH__)
    __syncthreads();
#endif
  }
};

using CudaTeam = BlockTeam<CudaWarp>;

}  // namespace mecrl::cuda
