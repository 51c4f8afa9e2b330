// SerialTeam: a team (core/team.h) run by one CPU thread. Lanes become loop
// iterations over users, in order; sync() is free; reductions build the
// fixed tree (PairwiseSum) as the users go by, the order the GPU's shuffles
// follow. Every team operation is [[gnu::flatten]]: a phase's lambda is too
// big for g++ to inline into the user loop by itself, and a call per user
// (callee-saved registers pushed and popped, nothing hoisted out of the
// loop) cost the offload step about 5 % of its instructions.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/team.h"

namespace mecrl {

class SerialTeam {
 public:
  // scratch: the scenario's scratch bytes.
  SerialTeam(int users, unsigned char* scratch) : n_(users), w_(team_width(users)), arena_(scratch) {}

  int users() const { return n_; }
  int width() const { return w_; }

  template <class F>
  [[gnu::flatten]] void for_users(F&& f) const {
    for (int i = 0; i < n_; ++i) f(i);
  }
  template <class F>
  [[gnu::flatten]] void for_lanes(int count, F&& f) const {
    for (int j = 0; j < count; ++j) f(j);
  }
  template <class F>
  [[gnu::flatten]] void single(F&& f) const {
    f();
  }
  void sync() const {}

  // Integer sums are exact in any order: a plain loop. Float sums follow
  // the fixed tree.
  template <class F>
  [[gnu::flatten]] auto sum_users(F&& f) const -> decltype(f(0)) {
    using V = decltype(f(0));
    static_assert(sizeof(V) <= kMaxSumWords * 4, "sum_users: at most kMaxSumWords 4-byte values at once");
    if constexpr (std::is_integral_v<std::remove_reference_t<decltype(component(std::declval<V&>(), 0))>>) {
      V sum{};
      for (int i = 0; i < n_; ++i) sum = sum + f(i);
      return sum;
    } else {
      // Eight users at a time (f still runs in user order); the last block
      // and teams narrower than eight lanes are padded with +0.
      PairwiseSum<V> sum;
      int i = 0;
      for (; i + 8 <= n_; i += 8) {
        const V a0 = f(i), a1 = f(i + 1), a2 = f(i + 2), a3 = f(i + 3);
        const V a4 = f(i + 4), a5 = f(i + 5), a6 = f(i + 6), a7 = f(i + 7);
        sum.push_block(block8(a0, a1, a2, a3, a4, a5, a6, a7));
      }
      const int lanes = tree_lanes(w_);
      if (i == n_ && lanes >= 8) return sum.total(lanes);
      V a[8] = {};
      for (int k = 0; i + k < n_; ++k) a[k] = f(i + k);
      if (lanes == 1) return a[0];
      if (lanes == 2) return a[0] + a[1];
      if (lanes == 4) return (a[0] + a[1]) + (a[2] + a[3]);
      sum.push_block(block8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]));
      return sum.total(lanes);
    }
  }
  template <class F>
  [[gnu::flatten]] int count_users(F&& pred) const {
    int c = 0;
    for (int i = 0; i < n_; ++i) c += pred(i) ? 1 : 0;
    return c;
  }
  template <class F>
  [[gnu::flatten]] void histogram(F&& bin, int k, int* out) const {
    for (int b = 0; b < k; ++b) out[b] = 0;
    for (int i = 0; i < n_; ++i) {
      const int b = bin(i);
      if (b >= 0 && b < k) ++out[b];
    }
  }
  template <class F>
  [[gnu::flatten]] int compact(F&& pred, int* list) const {
    int c = 0;
    for (int i = 0; i < n_; ++i) {
      if (pred(i)) list[c++] = i;
    }
    return c;
  }

  ScratchArena& scratch() const { return arena_; }
  // Rows go straight to their destination: nothing to stage on a CPU.
  RowTile rows(float* dst, int /*n*/, int f) const { return RowTile{dst, f}; }
  void store_rows(const RowTile&, float*, int, int) const {}

 private:
  int n_, w_;
  mutable ScratchArena arena_;
};

// Memory for SerialTeams of one CPU thread, grown to fit a TeamConfig.
class SerialTeamMemory {
 public:
  SerialTeam team(const TeamConfig& c) {
    if (scratch_.size() < c.scratch_bytes + 16) scratch_.resize(c.scratch_bytes + 16);
    return SerialTeam(c.users, aligned(scratch_.data()));
  }

 private:
  static unsigned char* aligned(unsigned char* p) {
    return p + ((16 - reinterpret_cast<uintptr_t>(p) % 16) % 16);
  }
  std::vector<unsigned char> scratch_;
};

}  // namespace mecrl
