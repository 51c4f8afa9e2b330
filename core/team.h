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
// The per-user function of sum_users, count_users, histogram and compact
// runs exactly once per user, on its lane, so it may be a whole phase that
// returns its user's part. These four and store_rows also act as sync().
// Integer
// results are exact whatever the order; float sums follow the fixed tree.
//
// The fixed tree (PairwiseSum below): the lanes, padded with +0 to
// P = tree_lanes(width) (width itself up to 32, else 32 times the next power
// of two of the number of warps), are summed pairwise: level k adds each
// aligned block of 2^k lanes to its right neighbour, left + right, up to
// one block of P. On the GPU this is a shuffle butterfly with offsets
// 1, 2, 4, ... within each warp (lane l adds lane l ^ o: the left block plus
// the right block, or the right plus the left, which IEEE addition makes the
// same bits), then the same butterfly over the warps' results. On the CPU
// the tree is built while the users stream by, a stack of partial block sums
// like a binary counter: no buffer, about one addition per value.
#pragma once

#include <cstddef>
#include <type_traits>

#include "core/hd.h"

namespace mecrl {

inline constexpr int kWarp = 32;
inline constexpr int kMaxTeamWidth = 1024;  // the largest CUDA block: N <= 1024
inline constexpr int kMaxSumWords = 32;     // largest V of sum_users, in 4-byte words, and most bins of a histogram

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

// The components of V (a scalar or a Sums): their number, and the k-th.
template <class V>
MECRL_HD_CONST int components() {
  if constexpr (std::is_arithmetic_v<V>) {
    return 1;
  } else {
    return static_cast<int>(sizeof(V::v) / sizeof(V::v[0]));
  }
}
template <class V>
MECRL_HD auto& component(V& v, int k) {
  if constexpr (std::is_arithmetic_v<V>) {
    (void)k;
    return v;
  } else {
    return v.v[k];
  }
}

// Applies op to each component of V, so the GPU can shuffle them one by one.
template <class V, class Op>
MECRL_HD void for_each_component(V& v, Op&& op) {
  for (int k = 0; k < components<V>(); ++k) op(component(v, k));
}

// Lanes the tree spans for a team of `width` lanes (a power of two).
MECRL_HD_CONST int tree_lanes(int width) {
  if (width <= kWarp) return width;
  int warps = 1;
  while (warps * kWarp < width) warps *= 2;
  return warps * kWarp;
}

// The fixed tree, built from blocks of eight consecutive lanes (V: a scalar
// or a Sums). A caller sums each block of eight in straight-line code
// (block8: the tree's three lowest levels) and pushes it on a binary
// counter: stack_[k] holds the sum of the last complete aligned block of 2^k
// eight-lane blocks not yet combined into a larger one. The CPU pays about
// one addition per value (SerialTeam::sum_users).
template <class V>
MECRL_HD V block8(const V& a0, const V& a1, const V& a2, const V& a3, const V& a4, const V& a5, const V& a6,
                  const V& a7) {
  return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}

template <class V>
class PairwiseSum {
 public:
  MECRL_HD void push_block(V x) {
    int k = 0;
    for (int c = blocks_; c & 1; c >>= 1, ++k) x = stack_[k].v + x;  // left block + right block
    stack_[k].v = x;
    ++blocks_;
  }
  // The tree over `lanes` lanes (a power of two, a multiple of 8, >= the
  // lanes pushed), the lanes not pushed holding +0. Walks the one path of
  // blocks that straddle the first unpushed block: its left neighbour is
  // complete (on the stack), its right neighbour all +0.
  MECRL_HD V total(int lanes) const {
    const int blocks = lanes / 8;
    int levels = 0;
    while ((1 << levels) < blocks) ++levels;
    if (blocks_ == blocks) return stack_[levels].v;
    V carry{};
    for (int k = 0; k < levels; ++k) carry = ((blocks_ >> k) & 1) ? stack_[k].v + carry : carry + V{};
    return carry;
  }

 private:
  // Left uninitialised: level k is read only after a push wrote it (bit k of
  // blocks_), and zeroing eight V per reduction was a tenth of a small
  // cell's memory writes on the CPU.
  union Level {
    V v;
    MECRL_HD Level() {}
  };
  Level stack_[8];  // levels of eight-lane blocks: up to 8 * 2^7 = 1024 lanes
  int blocks_ = 0;
};

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

// A scenario's scratch struct (with carve(arena, n, m)) carved from a team's
// scratch, and the bytes it takes (what the executor must provide).
template <class Scratch, class Team>
MECRL_HD Scratch carve_scratch(const Team& team, int n, int m) {
  Scratch x;
  x.carve(team.scratch(), n, m);
  return x;
}
template <class Scratch>
size_t scratch_bytes(int n, int m) {
  ScratchArena a;
  Scratch x;
  x.carve(a, n, m);
  return a.bytes();
}

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
