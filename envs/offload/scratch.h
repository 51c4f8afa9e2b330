// OffloadScratch: what a team keeps for one env while it runs a step or a
// reset (team scratch: shared memory on the GPU, a per-thread buffer on the
// CPU). Nothing here outlives the call; the state (state.h) is what persists.
#pragma once

#include <cstdint>

#include "core/team.h"
#include "envs/offload/params.h"

namespace mecrl::offload {

// What happened to a user in this slot (OffloadScratch::flags).
enum SlotFlag : uint8_t {
  kDecided = 1,        // applied an action (step 1)
  kDoneEarly = 2,      // query completed in steps 2-5 (local or downlink)
  kDoneServer = 4,     // query completed in step 4d (answer back within the slot)
  kCorrect = 8,        // the completed answer was correct
  kHallucinated = 16,  // ... and hallucinated
  kOffloaded = 32,     // ... and came from a server
  kLeftBatch = 64,     // finished its server iterations (left the batch)
  kArrived = 128,      // issued a new query (step 7)
};

struct OffloadScratch {
  // ---- per user [N]
  float* free_at_s;   // instant the user became idle this slot, s (< 0: busy at slot end)
  float* join_s;      // instant its prompt reached the server this slot, s (< 0: none)
  float* energy_j;    // device energy this slot, J
  float* charge_acc;  // accuracy cost charged to it this slot (spec §4)
  float* charge_hal;  // hallucination cost charged to it this slot
  float* latency_s;   // latency of the query it completed this slot, s
  uint8_t* flags;     // SlotFlag bits
  int* join_list;     // users whose prompt reached a server this slot, ascending
  int* done_list;     // completions: those of steps 2-5, then those of step 4d, each ascending
  int* decide_list;   // users that decided this slot, ascending
  // ---- per server [M]
  int* uploaders;     // users uploading to it (after the decisions; after the slot)
  int* joined;        // prompts that reached it this slot
  int* batch;         // b: queries in its batch over this slot
  int* finished;      // batch queries that finished their iterations this slot
  float* iter_s;      // t_it over this slot, s
  int* queued;        // observation: tickets handed out but not in the batch
  int* active;        // observation: queries in the batch
  int* uploading;     // observation: users uploading to it
  float* wait_s;      // observation: estimated wait of a newcomer, s

  template <class Arena>
  MECRL_HD void carve(Arena& a, int n, int m) {
    free_at_s = a.template take<float>(n);
    join_s = a.template take<float>(n);
    energy_j = a.template take<float>(n);
    charge_acc = a.template take<float>(n);
    charge_hal = a.template take<float>(n);
    latency_s = a.template take<float>(n);
    flags = a.template take<uint8_t>(n);
    join_list = a.template take<int>(n);
    done_list = a.template take<int>(n);
    decide_list = a.template take<int>(n);
    uploaders = a.template take<int>(m);
    joined = a.template take<int>(m);
    batch = a.template take<int>(m);
    finished = a.template take<int>(m);
    iter_s = a.template take<float>(m);
    queued = a.template take<int>(m);
    active = a.template take<int>(m);
    uploading = a.template take<int>(m);
    wait_s = a.template take<float>(m);
  }
};

// Bytes of OffloadScratch for N users and M servers.
inline size_t scratch_bytes(int n, int m) {
  ScratchArena a;
  OffloadScratch x;
  x.carve(a, n, m);
  return a.bytes();
}

}  // namespace mecrl::offload
