// The CPU backend's executor: host memory and OpenMP over envs. Each env is
// touched by exactly one thread and draws only from its own Philox streams,
// so results do not depend on the thread count. The env step runs as a
// SerialTeam (core/serial_team.h): the team code the GPU runs, with lanes as
// loop iterations and the same reduction tree.
#pragma once

#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "core/serial_team.h"
#include "envs/vec_env.h"

namespace mecrl {

struct CpuExec {
  int threads = 0;  // 0 = OpenMP's default (all cores)
  // Team scratch of each OpenMP thread, grown on first use and kept (a step
  // of a small batch must not pay for allocations).
  mutable std::vector<SerialTeamMemory> team_memory{};

  Device device() const { return Device::Cpu; }
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
  void synchronize() const {}

  // f(e) for every env e < n.
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

  // f(team, e) for every env e < n, each env's team run by one thread.
  template <class F>
  void for_each_team(int n, const TeamConfig& c, const F& f) const {
    const int nt = threads > 0 ? threads : omp_get_max_threads();
    if (static_cast<int>(team_memory.size()) < nt) team_memory.resize(nt);
    if (nt == 1 || n == 1) {
      for (int e = 0; e < n; ++e) f(team_memory[0].team(c), e);
      return;
    }
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int e = 0; e < n; ++e) f(team_memory[omp_get_thread_num()].team(c), e);
  }
};

}  // namespace mecrl
