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

namespace {
void* ops_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = device_alloc(bytes);
  MECRL_CUDA_CHECK(cudaMemset(p, 0, bytes));
  return p;
}
void ops_copy_2d(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t rows, void* stream) {
  if (width == 0 || rows == 0) return;  // a buffer of zero width (no costs, no info) may be null
  MECRL_CUDA_CHECK(cudaMemcpy2DAsync(dst, dpitch, src, spitch, width, rows, cudaMemcpyDeviceToDevice,
                                     static_cast<cudaStream_t>(stream)));
}
void ops_fill(void* dst, uint8_t value, size_t bytes, void* stream) {
  if (bytes) MECRL_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, static_cast<cudaStream_t>(stream)));
}
void ops_to_host(void* dst, const void* src, size_t bytes, void* stream) {
  if (bytes == 0) return;
  MECRL_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(stream)));
  MECRL_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
}
}  // namespace

const DeviceOps& device_ops() {
  static const DeviceOps ops{ops_alloc, device_free, ops_copy_2d, ops_fill, ops_to_host};
  return ops;
}

}  // namespace mecrl::cuda
