// Structure-of-arrays bookkeeping shared by every scenario.
//
// A scenario's state is a struct of typed pointers, one per field, each with
// an extent: per env [E], per user [E][N], per user-server pair [E][N][M] or
// per server [E][M]. The index function is chosen per backend: env-major on
// the CPU (one thread walks one env's users: contiguous), env-minor on the
// GPU (one thread per env: neighbouring threads touch neighbouring words, so
// loads coalesce). The physics never sees the difference.
#pragma once

#include <cstddef>

#include "core/hd.h"

namespace mecrl {

enum class Extent { Env, User, Pair, Server };

struct SoaLayout {
  int num_envs = 0;
  int users = 0;    // N
  int servers = 0;  // M (or any per-env small dimension)
  bool env_minor = false;

  MECRL_HD size_t env(int e) const { return static_cast<size_t>(e); }
  MECRL_HD size_t user(int e, int i) const {
    return env_minor ? static_cast<size_t>(i) * num_envs + e : static_cast<size_t>(e) * users + i;
  }
  MECRL_HD size_t pair(int e, int i, int j) const {
    return env_minor ? (static_cast<size_t>(i) * servers + j) * num_envs + e
                     : (static_cast<size_t>(e) * users + i) * servers + j;
  }
  MECRL_HD size_t server(int e, int j) const {
    return env_minor ? static_cast<size_t>(j) * num_envs + e : static_cast<size_t>(e) * servers + j;
  }
  size_t count(Extent x) const {
    const size_t e = static_cast<size_t>(num_envs);
    switch (x) {
      case Extent::Env: return e;
      case Extent::User: return e * users;
      case Extent::Pair: return e * users * servers;
      case Extent::Server: return e * servers;
    }
    return 0;
  }
};

// Lays fields out in one allocation, each aligned to 256 bytes.
// Pass 1 (base == nullptr) only measures; pass 2 assigns the pointers.
class SoaArena {
 public:
  SoaArena(const SoaLayout& layout, void* base) : layout_(layout), base_(static_cast<char*>(base)) {}
  template <class T>
  void operator()(T*& field, Extent extent) {
    take(field, layout_.count(extent));
  }
  template <class T>
  void take(T*& field, size_t count) {
    offset_ = (offset_ + 255) & ~static_cast<size_t>(255);
    field = base_ ? reinterpret_cast<T*>(base_ + offset_) : nullptr;
    offset_ += sizeof(T) * count;
  }
  size_t bytes() const { return (offset_ + 255) & ~static_cast<size_t>(255); }

 private:
  SoaLayout layout_;
  char* base_;
  size_t offset_ = 0;
};

}  // namespace mecrl
