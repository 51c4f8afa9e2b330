// SerialTeam: a team (core/team.h) run by one CPU thread. Lanes become loop
// iterations over users, in order; sync() is free; reductions store each
// user's value and apply team_tree_sum, the order the GPU's shuffles follow.
#pragma once

#include <cstdint>
#include <vector>

#include "core/team.h"

namespace mecrl {

class SerialTeam {
 public:
  // scratch: the scenario's scratch bytes; sum_buffer: width * kMaxSumWords
  // 4-byte words, 8-byte aligned.
  SerialTeam(int users, unsigned char* scratch, unsigned char* sum_buffer)
      : n_(users), w_(team_width(users)), arena_(scratch), sum_buffer_(sum_buffer) {}

  int users() const { return n_; }
  int width() const { return w_; }

  template <class F>
  void for_users(F&& f) const {
    for (int i = 0; i < n_; ++i) f(i);
  }
  template <class F>
  void for_lanes(int count, F&& f) const {
    for (int j = 0; j < count; ++j) f(j);
  }
  template <class F>
  void single(F&& f) const {
    f();
  }
  void sync() const {}

  template <class F>
  auto sum_users(F&& f) const -> decltype(f(0)) {
    using V = decltype(f(0));
    static_assert(sizeof(V) <= kMaxSumWords * 4, "sum_users: at most kMaxSumWords 4-byte values at once");
    V* v = reinterpret_cast<V*>(sum_buffer_);
    for (int i = 0; i < n_; ++i) v[i] = f(i);
    for (int i = n_; i < w_; ++i) v[i] = V{};
    return team_tree_sum(v, w_);
  }
  template <class F>
  int count_users(F&& pred) const {
    int c = 0;
    for (int i = 0; i < n_; ++i) c += pred(i) ? 1 : 0;
    return c;
  }
  template <class F>
  void histogram(F&& bin, int k, int* out) const {
    for (int b = 0; b < k; ++b) out[b] = 0;
    for (int i = 0; i < n_; ++i) {
      const int b = bin(i);
      if (b >= 0 && b < k) ++out[b];
    }
  }
  template <class F>
  int compact(F&& pred, int* list) const {
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
  unsigned char* sum_buffer_;
};

// Memory for SerialTeams of one CPU thread, grown to fit a TeamConfig.
class SerialTeamMemory {
 public:
  SerialTeam team(const TeamConfig& c) {
    const size_t sum_words = static_cast<size_t>(team_width(c.users)) * kMaxSumWords;
    if (scratch_.size() < c.scratch_bytes + 16) scratch_.resize(c.scratch_bytes + 16);
    if (sums_.size() < sum_words / 2) sums_.resize(sum_words / 2 + 1);
    return SerialTeam(c.users, aligned(scratch_.data()), reinterpret_cast<unsigned char*>(sums_.data()));
  }

 private:
  static unsigned char* aligned(unsigned char* p) {
    return p + ((16 - reinterpret_cast<uintptr_t>(p) % 16) % 16);
  }
  std::vector<unsigned char> scratch_;
  std::vector<uint64_t> sums_;
};

}  // namespace mecrl
