// Device queries and plain copies (cuda/backend.h).
#include <cuda_runtime.h>

#include "cuda/backend.h"
#include "cuda/check.cuh"

namespace mecrl::cuda {

bool built_with_cuda() { return true; }

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

std::string device_name(int device) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) return "none";
  return prop.name;
}

void copy_to_host(void* dst, const void* src, size_t bytes) {
  MECRL_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
void copy_to_device(void* dst, const void* src, size_t bytes) {
  MECRL_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
void* device_alloc(size_t bytes) {
  void* p = nullptr;
  MECRL_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}
void device_free(void* p) { cudaFree(p); }
void synchronize() { MECRL_CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace mecrl::cuda
