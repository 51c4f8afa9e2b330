// Structure-of-arrays bookkeeping shared by every scenario.
//
// A scenario's state is a struct of typed pointers, one per field, each with
// an extent: per env [E], per user [E][N], per user-server pair [E][M][N] or
// per server [E][M]. One layout for both backends: env-major, and the user
// index innermost. On the GPU a team of lanes steps one env, lane i on user i
// (core/team.h), so a warp's loads and stores of a field touch consecutive
// words; on the CPU one thread walks an env's users, also consecutively. A
// pair field keeps the users of one server together for the same reason.
// Identical layouts also make state bytes (checkpoints) portable across
// backends.
#pragma once

#include <cstddef>

#include "core/hd.h"

namespace mecrl {

enum class Extent { Env, User, Pair, Server };

// How often the step writes a field: every slot, or only when a query, a
// snapshot or an episode starts. Only used to model the step's memory
// traffic (bench/traffic.h); it does not change the layout.
enum class Churn { Slot, Rare };

struct SoaLayout {
  int num_envs = 0;
  int users = 0;    // N
  int servers = 0;  // M (or any per-env small dimension)

  MECRL_HD size_t env(int e) const { return static_cast<size_t>(e); }
  MECRL_HD size_t user(int e, int i) const { return static_cast<size_t>(e) * users + i; }
  MECRL_HD size_t pair(int e, int i, int j) const {
    return (static_cast<size_t>(e) * servers + j) * users + i;
  }
  MECRL_HD size_t server(int e, int j) const { return static_cast<size_t>(e) * servers + j; }
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
  void operator()(T*& field, Extent extent, Churn = Churn::Slot) {
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
