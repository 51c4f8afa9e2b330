// BlockTeam<Warp>: a team (core/team.h) run by the threads of a GPU block,
// one thread per user, written against a small set of warp operations
// (Warp: lane(), shfl_xor, ballot, popc, sync_warp, sync_block). With CUDA's
// intrinsics (cuda/cuda_team.cuh) it is the GPU backend's team; with
// std::thread emulations (tests/core/emulated_block.h) the tests run this
// very code on the CPU and compare it with SerialTeam byte for byte.
//
// Teams of up to 32 lanes share warps (several envs per block; sync_warp over
// the team's lanes); wider teams get a block each (sync_block). Reductions
// are shuffle butterflies reproducing the fixed tree (core/team.h) exactly;
// counts and compactions use warp ballots.
//
// Shared memory of one team: [reduction partials | scenario scratch | row tile].
#pragma once

#include <cstddef>

#include "core/team.h"

namespace mecrl {

// How a launch maps teams onto blocks and shared memory.
struct TeamShape {
  int users = 1;            // N
  int width = 1;            // lanes per team, team_width(N)
  int teams_per_block = 1;  // several envs per block when width < 32
  int block = 1;            // threads per block
  int team_bytes = 0;       // shared memory per team
  int scratch_offset = 0;   // scenario scratch, from the team's memory start
  int tile_offset = -1;     // staged row tile (-1: rows are written straight to global memory)
  int tile_rows = 0, tile_cols = 0;
};

inline constexpr int kSubWarpBlock = 128;  // threads per block for teams of <= 32 lanes

inline int align16(size_t b) { return static_cast<int>((b + 15) & ~static_cast<size_t>(15)); }

// Stages the row tile only if the whole block's memory stays within
// stage_budget bytes (more shared memory per block means fewer resident
// blocks); the scenario's scratch is always given.
inline TeamShape make_team_shape(const TeamConfig& c, size_t stage_budget) {
  TeamShape s;
  s.users = c.users;
  s.width = team_width(c.users);
  if (s.width <= kWarp) {
    s.teams_per_block = kSubWarpBlock / s.width;
    s.block = kSubWarpBlock;
  } else {
    s.teams_per_block = 1;
    s.block = s.width;
  }
  const int partial_bytes = s.width > kWarp ? 2 * (s.width / kWarp) * kMaxSumWords * 4 : 0;
  s.scratch_offset = partial_bytes;
  const int base = partial_bytes + align16(c.scratch_bytes);
  const int tile_bytes = align16(static_cast<size_t>(c.tile_rows) * (c.tile_cols | 1) * sizeof(float));
  if (c.tile_rows > 0 && static_cast<size_t>(s.teams_per_block) * (base + tile_bytes) <= stage_budget) {
    s.tile_offset = base;
    s.tile_rows = c.tile_rows;
    s.tile_cols = c.tile_cols;
    s.team_bytes = base + tile_bytes;
  } else {
    s.team_bytes = base;
  }
  return s;
}

// Which team of its block, and which lane of that team, thread `thread` is.
struct TeamSlot {
  int team, lane;
};
MECRL_HD TeamSlot team_slot(const TeamShape& s, int thread) {
  const int t = thread / s.width;
  return TeamSlot{t, thread - t * s.width};
}

template <class Warp>
class BlockTeam {
 public:
  // lane: this thread's lane in its team; mem: the team's shared memory.
  MECRL_HD BlockTeam(const TeamShape& shape, int lane, unsigned char* mem)
      : n_(shape.users),
        w_(shape.width),
        lane_(lane),
        warp_(lane / kWarp),
        warp_lane_(lane % kWarp),
        nwarps_(shape.width / kWarp),
        tile_rows_(shape.tile_rows),
        tile_cols_(shape.tile_cols),
        mem_(mem),
        tile_(shape.tile_offset >= 0 ? reinterpret_cast<float*>(mem + shape.tile_offset) : nullptr),
        arena_(mem + shape.scratch_offset) {
    // The team's lanes within its warp (teams of < 32 lanes share a warp).
    warp_lane_ = Warp::lane();
    const int first = warp_lane_ - lane % kWarp;
    mask_ = w_ >= kWarp ? 0xffffffffu : ((1u << w_) - 1u) << first;
  }

  MECRL_HD int users() const { return n_; }
  MECRL_HD int width() const { return w_; }

  MECRL_HD void sync() const {
    if (w_ > kWarp) {
      Warp::sync_block();
    } else {
      Warp::sync_warp(mask_);
    }
  }

  // width >= N: at most one user per lane.
  template <class F>
  MECRL_HD void for_users(F&& f) const {
    if (lane_ < n_) f(lane_);
  }
  template <class F>
  MECRL_HD void for_lanes(int count, F&& f) const {
    for (int j = lane_; j < count; j += w_) f(j);
  }
  template <class F>
  MECRL_HD void single(F&& f) const {
    if (lane_ == 0) f();
  }

  template <class F>
  MECRL_HD auto sum_users(F&& f) const -> decltype(f(0)) {
    using V = decltype(f(0));
    static_assert(sizeof(V) <= kMaxSumWords * 4, "sum_users: at most kMaxSumWords 4-byte values at once");
    V v{};
    if (lane_ < n_) v = f(lane_);
    const int g = w_ < kWarp ? w_ : kWarp;
    for_each_component(v, [&](auto& x) { x = butterfly(x, g, mask_); });
    if (w_ > kWarp) {
      V* part = partials<V>();  // [nwarps]: each warp's tree result
      if (warp_lane_ == 0) part[warp_] = v;
      Warp::sync_block();
      // The tree over the warps' results padded to G (a power of two): lane
      // l starts from result l % G, so every G-lane block ends with the sum.
      const int groups = tree_lanes(w_) / kWarp;
      const int q = warp_lane_ % groups;
      V u = q < nwarps_ ? part[q] : V{};
      for_each_component(u, [&](auto& x) { x = butterfly(x, groups, 0xffffffffu); });
      v = u;
    } else {
      Warp::sync_warp(mask_);
    }
    return v;
  }

  template <class F>
  MECRL_HD int count_users(F&& pred) const {
    const bool p = lane_ < n_ && pred(lane_);
    int c = Warp::popc(Warp::ballot(mask_, p) & mask_);
    if (w_ > kWarp) {
      int* part = partials<int>();
      if (warp_lane_ == 0) part[warp_] = c;
      Warp::sync_block();
      c = 0;
      for (int k = 0; k < nwarps_; ++k) c += part[k];
    } else {
      Warp::sync_warp(mask_);
    }
    return c;
  }

  // k <= kMaxSumWords bins; out lives in team scratch.
  template <class F>
  MECRL_HD void histogram(F&& bin, int k, int* out) const {
    const int mine = lane_ < n_ ? bin(lane_) : -1;
    if (w_ > kWarp) {
      int* part = partials<int>();  // [nwarps][kMaxSumWords]
      for (int b = 0; b < k; ++b) {
        const int c = Warp::popc(Warp::ballot(0xffffffffu, mine == b));
        if (warp_lane_ == 0) part[warp_ * kMaxSumWords + b] = c;
      }
      Warp::sync_block();
      for (int b = lane_; b < k; b += w_) {
        int c = 0;
        for (int q = 0; q < nwarps_; ++q) c += part[q * kMaxSumWords + b];
        out[b] = c;
      }
      Warp::sync_block();
    } else {
      for (int b = 0; b < k; ++b) {
        const int c = Warp::popc(Warp::ballot(mask_, mine == b) & mask_);
        if (lane_ == 0) out[b] = c;
      }
      Warp::sync_warp(mask_);
    }
  }

  template <class F>
  MECRL_HD int compact(F&& pred, int* list) const {
    const bool p = lane_ < n_ && pred(lane_);
    const unsigned bits = Warp::ballot(mask_, p) & mask_;
    int pos = Warp::popc(bits & ((1u << warp_lane_) - 1u));
    int total = Warp::popc(bits);
    if (w_ > kWarp) {
      int* part = partials<int>();
      if (warp_lane_ == 0) part[warp_] = total;
      Warp::sync_block();
      total = 0;
      for (int k = 0; k < nwarps_; ++k) {
        pos += k < warp_ ? part[k] : 0;
        total += part[k];
      }
    }
    if (p) list[pos] = lane_;
    sync();
    return total;
  }

  MECRL_HD ScratchArena& scratch() const { return arena_; }

  MECRL_HD RowTile rows(float* dst, int n, int f) const {
    if (tile_ == nullptr || n > tile_rows_ || f > tile_cols_) return RowTile{dst, f};
    return RowTile{tile_, f | 1};  // odd stride: lane i's row starts in bank (i * stride) % 32, all distinct
  }
  // Writes a staged tile to dst [n][f] with consecutive lanes on consecutive
  // floats. Also a sync(), staged or not.
  MECRL_HD void store_rows(const RowTile& t, float* dst, int n, int f) const {
    sync();
    if (t.base == dst) return;
    const int total = n * f;
    for (int idx = lane_; idx < total; idx += w_) {
      const int r = idx / f;
      dst[idx] = t.base[r * t.stride + (idx - r * f)];
    }
    sync();  // the tile may be written again
  }

 private:
  // Lane l adds lane l ^ o for o = 1, 2, ..., g/2: the aligned block of o
  // lanes holding l plus its neighbour; a left lane computes left + right,
  // a right lane right + left, the same bits.
  template <class T>
  MECRL_HD static T butterfly(T x, int g, unsigned mask) {
    for (int o = 1; o < g; o *= 2) x = x + Warp::shfl_xor(mask, x, o);
    return x;
  }
  // Two alternating buffers: a reduction's partials are never overwritten
  // while a lane may still read them (a lane writing buffer A again has
  // passed the barrier of the reduction that used buffer B in between).
  template <class T>
  MECRL_HD T* partials() const {
    T* p = reinterpret_cast<T*>(mem_ + (parity_ ? nwarps_ * kMaxSumWords * 4 : 0));
    parity_ ^= 1;
    return p;
  }

  int n_, w_, lane_, warp_, warp_lane_, nwarps_;
  int tile_rows_, tile_cols_;
  unsigned mask_ = 0xffffffffu;
  unsigned char* mem_;
  float* tile_;
  mutable ScratchArena arena_;
  mutable int parity_ = 0;
};

}  // namespace mecrl
