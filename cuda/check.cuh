// MECRL_CUDA_CHECK: throw with file:line, the expression and CUDA's message.
// Set MECRL_SYNC_CHECKS=1 to synchronise after every launch, so a kernel
// fault is reported at its launch instead of at the next blocking call.
#pragma once

#include <cuda_runtime.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace mecrl::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": CUDA error in " + expr + ": " +
                           cudaGetErrorName(err) + ": " + cudaGetErrorString(err));
}

inline bool sync_checks() {
  static const bool on = [] {
    const char* v = std::getenv("MECRL_SYNC_CHECKS");
    return v && v[0] == '1';
  }();
  return on;
}

}  // namespace mecrl::cuda

#define MECRL_CUDA_CHECK(expr)                                                        \
  do {                                                                                \
    const cudaError_t mecrl_err_ = (expr);                                            \
    if (mecrl_err_ != cudaSuccess) ::mecrl::cuda::throw_cuda_error(mecrl_err_, #expr, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: the launch error, and (debug switch) the kernel's own.
#define MECRL_CUDA_CHECK_LAUNCH()                                                     \
  do {                                                                                \
    MECRL_CUDA_CHECK(cudaGetLastError());                                             \
    if (::mecrl::cuda::sync_checks()) MECRL_CUDA_CHECK(cudaDeviceSynchronize());      \
  } while (0)
