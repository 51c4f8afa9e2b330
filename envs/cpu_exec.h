// The CPU backend's executor: host memory and an OpenMP loop over envs.
// Each env is touched by exactly one thread and draws only from its own
// Philox streams, so results do not depend on the thread count.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>

#include "envs/vec_env.h"

namespace mecrl {

struct CpuExec {
  int threads = 0;  // 0 = OpenMP's default (all cores)

  Device device() const { return Device::Cpu; }
  bool env_minor() const { return false; }
  void* alloc(size_t bytes) const {
    if (bytes == 0) return nullptr;
    void* p = std::aligned_alloc(256, (bytes + 255) & ~size_t(255));
    if (!p) throw std::bad_alloc();
    return p;
  }
  void free(void* p) const { std::free(p); }
  void zero(void* p, size_t bytes) const {
    if (p) std::memset(p, 0, bytes);
  }
  void to_host(void* dst, const void* src, size_t bytes) const {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void from_host(void* dst, const void* src, size_t bytes) const {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void set_stream(void*) {}

  template <class F>
  void for_each(int n, const F& f) const {
    if (threads == 1 || n == 1) {
      for (int e = 0; e < n; ++e) f(e);
    } else if (threads > 1) {
#pragma omp parallel for schedule(static) num_threads(threads)
      for (int e = 0; e < n; ++e) f(e);
    } else {
#pragma omp parallel for schedule(static)
      for (int e = 0; e < n; ++e) f(e);
    }
  }
};

}  // namespace mecrl
