// The GPU backend's team code (BlockTeam, core/block_team.h) run on the CPU:
// each lane of a block is a std::thread, and the warp operations are
// emulated with per-lane words and a barrier per team. Tests run scenarios
// on this executor and on CpuExec (SerialTeam) and compare bytes, so the
// shuffles, ballots, compactions, shared-memory staging and barriers the GPU
// runs are checked without a GPU. Slow (threads meet at every operation):
// small sizes only.
#pragma once

#include <barrier>
#include <bit>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "core/block_team.h"
#include "envs/cpu_exec.h"

namespace mecrl::testing {

// The lanes of one team: a barrier for them, words to exchange through.
struct EmulatedTeamLanes {
  explicit EmulatedTeamLanes(int lanes) : barrier(lanes) {}
  std::barrier<> barrier;
};

struct EmulatedWarp {
  static inline thread_local EmulatedTeamLanes* team = nullptr;
  static inline thread_local uint32_t* words = nullptr;  // one per thread of the block
  static inline thread_local int thread = 0;             // threadIdx.x

  static int lane() { return thread % kWarp; }
  template <class T>
  static T shfl_xor(unsigned /*mask*/, T x, int offset) {
    static_assert(sizeof(T) == 4, "32-bit shuffles only");
    words[thread] = bit_copy<uint32_t>(x);
    team->barrier.arrive_and_wait();
    const T y = bit_copy<T>(words[thread ^ offset]);
    team->barrier.arrive_and_wait();
    return y;
  }
  static unsigned ballot(unsigned mask, bool p) {
    words[thread] = p ? 1u : 0u;
    team->barrier.arrive_and_wait();
    const int first = thread - lane();
    unsigned bits = 0;
    for (int k = 0; k < kWarp; ++k) {
      if ((mask >> k) & 1u) bits |= (words[first + k] ? 1u : 0u) << k;
    }
    team->barrier.arrive_and_wait();
    return bits;
  }
  static int popc(unsigned bits) { return std::popcount(bits); }
  static void sync_warp(unsigned) { team->barrier.arrive_and_wait(); }
  static void sync_block() { team->barrier.arrive_and_wait(); }
};

using EmulatedTeam = BlockTeam<EmulatedWarp>;

// Runs f(team, e) for env e < n as CudaExec's team_kernel would: blocks of
// shape.block threads, teams_per_block envs each, one block at a time.
template <class F>
void run_emulated_blocks(int n, const TeamShape& shape, const F& f) {
  const int blocks = (n + shape.teams_per_block - 1) / shape.teams_per_block;
  for (int b = 0; b < blocks; ++b) {
    std::vector<uint64_t> memory(static_cast<size_t>(shape.teams_per_block) * shape.team_bytes / 8 + 2);
    std::vector<uint32_t> words(shape.block);
    std::vector<std::unique_ptr<EmulatedTeamLanes>> teams;
    for (int t = 0; t < shape.teams_per_block; ++t) teams.push_back(std::make_unique<EmulatedTeamLanes>(shape.width));
    std::vector<std::thread> threads;
    for (int thread = 0; thread < shape.block; ++thread) {
      threads.emplace_back([&, thread] {
        const TeamSlot slot = team_slot(shape, thread);
        const int e = b * shape.teams_per_block + slot.team;
        if (e >= n) return;
        EmulatedWarp::team = teams[slot.team].get();
        EmulatedWarp::words = words.data();
        EmulatedWarp::thread = thread;
        auto* mem = reinterpret_cast<unsigned char*>(memory.data()) + static_cast<size_t>(slot.team) * shape.team_bytes;
        const EmulatedTeam team(shape, slot.lane, mem);
        f(team, e);
      });
    }
    for (auto& t : threads) t.join();
  }
}

// CpuExec with the step and reset run by emulated GPU blocks.
struct EmulatedBlockExec : CpuExec {
  size_t stage_budget_bytes = 48 * 1024;  // as CudaExec: rows staged in "shared memory" if they fit

  template <class F>
  void for_each_team(int n, const TeamConfig& c, const F& f) const {
    run_emulated_blocks(n, make_team_shape(c, stage_budget_bytes), f);
  }
};

}  // namespace mecrl::testing
