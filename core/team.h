// Teams: how one env is stepped by many lanes, the same way on both backends.
//
// A *team* is the group of lanes that steps one env, one lane per user
// (WarpDrive's block-per-env, thread-per-agent model). A step is written
// once, as MECRL_HD code generic over the team type, in phases:
//   - inside a phase every lane works on its own user i (for_users), and
//     touches only that user's state, its row of the step buffers and its
//     slot of the team scratch;
//   - per-env and per-server quantities are combined between phases by team
//     operations whose order is fixed (below), and written by one lane
//     (single) or one lane per server (for_lanes).
// SerialTeam (core/serial_team.h) runs a team as loops over users on one CPU
// thread; CudaTeam (cuda/cuda_team.cuh) as the threads of a block. Both
// implement the contract below with the same arithmetic, so the two backends
// produce the same bits (tests/cuda/, tests/core/test_team.cpp).
//
// The contract (every method callable from MECRL_HD scenario code):
//   users(), width()        N, and the lanes of the team (team_width(N))
//   for_users(f)            f(i) for every user i < N, each on its own lane
//   for_lanes(k, f)         f(j) for every j < k (per-server work), spread over lanes
//   single(f)               f() on lane 0 only: per-env writes
//   sync()                  barrier: what any lane wrote before it, every lane sees after it
//   sum_users(f)            sum over users of V = f(i) (a scalar or Sums<T, K>)
//                           in the fixed tree below; every lane gets the sum
//   count_users(pred)       #users with pred(i)
//   histogram(bin, k, out)  out[b] = #users with bin(i) == b for b < k (-1: none); out in scratch
//   compact(pred, list)     list = the users with pred(i), ascending; returns their number
//   scratch()               the team's ScratchArena (shared memory on the GPU)
//   rows(dst, n, f), store_rows(tile, dst, n, f)
//                           a [n][f] float tile to write rows into, then written to dst
//                           (the GPU stages it in shared memory so the write coalesces)
// sum_users, count_users, histogram, compact and store_rows also act as
// sync(). Integer
// results are exact whatever the order; float sums follow the fixed tree.
//
// The fixed tree (team_tree_sum below): lanes >= N contribute zero. In each
// group of g = min(width, 32) lanes (a warp, or the team if smaller), a
// halving tree: for o = g/2, g/4, ..., 1: v[l] = v[l] + v[l + o] for l < o.
// A team wider than 32 then combines its width/32 group results, padded with
// zeros to 32 entries, with the same halving tree. On the GPU the first level
// is a shuffle butterfly (lane l adds lane l ^ o: for l < o the same pair, and
// a + b == b + a in IEEE arithmetic, so every lane ends with the tree's
// value), the second the same butterfly over the groups' results.
#pragma once

#include <cstddef>
#include <type_traits>

#include "core/hd.h"

namespace mecrl {

inline constexpr int kWarp = 32;
inline constexpr int kMaxTeamWidth = 1024;  // the largest CUDA block: N <= 1024
inline constexpr int kMaxSumWords = 16;     // largest V of sum_users, in 4-byte words

// Lanes given to an env of `users` users: the next power of two up to 32
// (several envs share a warp), then a whole number of warps.
MECRL_HD_CONST int team_width(int users) {
  if (users <= 1) return 1;
  if (users <= kWarp) {
    int w = 1;
    while (w < users) w *= 2;
    return w;
  }
  return (users + kWarp - 1) / kWarp * kWarp;
}

// K values summed together by one team reduction (one barrier for all).
template <class T, int K>
struct Sums {
  T v[K] = {};
  MECRL_HD T& operator[](int k) { return v[k]; }
  MECRL_HD const T& operator[](int k) const { return v[k]; }
};

template <class T, int K>
MECRL_HD Sums<T, K> operator+(const Sums<T, K>& a, const Sums<T, K>& b) {
  Sums<T, K> r;
  for (int k = 0; k < K; ++k) r.v[k] = a.v[k] + b.v[k];
  return r;
}

// Applies op to each 4-byte component of V (a scalar or a Sums), so the GPU
// can shuffle them one by one.
template <class V, class Op>
MECRL_HD void for_each_component(V& v, Op&& op) {
  if constexpr (std::is_arithmetic_v<V>) {
    op(v);
  } else {
    for (int k = 0; k < static_cast<int>(sizeof(v.v) / sizeof(v.v[0])); ++k) op(v.v[k]);
  }
}

// The halving tree over g entries (g a power of two); v is overwritten.
template <class V>
MECRL_HD V halving_tree(V* v, int g) {
  for (int o = g / 2; o >= 1; o /= 2) {
    for (int l = 0; l < o; ++l) v[l] = v[l] + v[l + o];
  }
  return v[0];
}

// The team's fixed reduction order over v[0, width) (entries >= N hold zero);
// v is overwritten. This is the definition the GPU's shuffles reproduce.
template <class V>
MECRL_HD V team_tree_sum(V* v, int width) {
  if (width <= kWarp) return halving_tree(v, width);
  V groups[kWarp] = {};
  for (int k = 0; k < width / kWarp; ++k) groups[k] = halving_tree(v + k * kWarp, kWarp);
  return halving_tree(groups, kWarp);
}

// Bump allocator over a team's scratch memory: every lane carves the same
// sequence, so every lane gets the same pointers. With base == nullptr it only
// measures (the executor sizes the memory this way).
class ScratchArena {
 public:
  MECRL_HD explicit ScratchArena(unsigned char* base = nullptr) : base_(base) {}
  template <class T>
  MECRL_HD T* take(int count) {
    offset_ = (offset_ + 15) & ~static_cast<size_t>(15);
    T* p = base_ ? reinterpret_cast<T*>(base_ + offset_) : nullptr;
    offset_ += sizeof(T) * static_cast<size_t>(count);
    return p;
  }
  MECRL_HD size_t bytes() const { return (offset_ + 15) & ~static_cast<size_t>(15); }

 private:
  unsigned char* base_;
  size_t offset_ = 0;
};

// What an executor must provide to run a scenario's teams.
struct TeamConfig {
  int users = 1;             // N: one lane per user
  size_t scratch_bytes = 0;  // team scratch the scenario carves (measured with ScratchArena)
  int tile_rows = 0;         // largest row tile the scenario writes through rows() ([rows][cols] float)
  int tile_cols = 0;
};

// A [rows][stride] block of floats that rows are written into.
struct RowTile {
  float* base;
  int stride;
  MECRL_HD float* row(int i) const { return base + static_cast<size_t>(i) * stride; }
};

}  // namespace mecrl
