// OffloadScratch: what a team keeps for one env while it runs a step or a
// reset (team scratch: shared memory on the GPU, a per-thread buffer on the
// CPU). Nothing here outlives the call; the state (state.h) is what persists.
#pragma once

#include <cstdint>

#include "core/team.h"
#include "envs/offload/features.h"
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
  kCharged = 64,       // charge_acc / charge_hal hold this slot's quality costs
};

struct OffloadScratch {
  // ---- per user [N]
  float* free_at_s;   // instant the user became idle this slot, s (< 0: busy at slot end)
  float* join_s;      // instant its prompt reached the server this slot, s (< 0: none)
  float* energy_j;    // device energy this slot, J
  float* charge_acc;  // accuracy cost charged to it this slot (spec §4), if kCharged
  float* charge_hal;  // hallucination cost charged to it this slot, if kCharged
  float* latency_s;   // latency of the query it completed this slot, s, if kDoneEarly or kDoneServer
  uint8_t* flags;     // SlotFlag bits
  int* join_list;     // users whose prompt reached a server this slot, ascending
  int* done_list;     // users that completed a query this slot, ascending
  int* decide_list;   // users that decided this slot, ascending
  // ---- per server [M]
  int* uploaders;     // users uploading to it after the decisions
  int* batch;         // b: queries in its batch over this slot
  int* slot_end;      // [2M]: [j] queries that left j's batch this slot, [M + j] users uploading to j at its end
  float* iter_s;      // t_it over this slot, s
  float* server_obs;  // [M][kPerServer]: its load features of the observation (observe.h)

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
    batch = a.template take<int>(m);
    slot_end = a.template take<int>(2 * m);
    iter_s = a.template take<float>(m);
    server_obs = a.template take<float>(m * kPerServer);
  }
};

}  // namespace mecrl::offload
