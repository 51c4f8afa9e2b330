// OffloadState: the whole simulator state as structure of arrays.
// Indices go through `l` (core/soa.h): per user [E][N], per user-server pair
// [E][M][N], per server [E][M], per env [E]; env-major, user index innermost,
// on both backends. Values that live only within one step (the slot's
// energy, idle and join instants, ...) are not state: they sit in the team's
// scratch memory (step.h: OffloadScratch).
#pragma once

#include <cstdint>

#include "core/soa.h"
#include "envs/offload/params.h"

namespace mecrl::offload {

// Where a user's current query is (spec §3). One query in flight at most.
enum Phase : uint8_t {
  kIdle = 0,      // thinking; may issue a query (step 7)
  kDecide = 1,    // query arrived, decided at the next slot boundary
  kLocal = 2,     // computing on the device
  kUpload = 3,    // sending the prompt to server `target`
  kServer = 4,    // at the server: queued (ticket >= next_active) or in the batch
  kDownlink = 5,  // answer on its way back
};

// Philox stream ids (core/random.h).
enum Stream : uint32_t {
  kStreamResetUser = 1,  // lane = user
  kStreamResetPair = 2,  // lane = user * M + server
  kStreamArrival = 3,    // lane = user
  kStreamQuery = 4,      // lane = user
  kStreamQuality = 5,    // lane = user
  kStreamFading = 6,     // lane = user * M + server
  kStreamPolicy = 7,     // lane = user (random baseline)
};

struct OffloadState {
  SoaLayout l;

  // ---- per user [E][N]
  uint8_t* device_kind;   // index into params.device
  uint8_t* phase;         // Phase
  uint8_t* qclass;        // 0 simple, 1 complex
  uint8_t* target;        // 0 = local, j + 1 = server j
  float* prompt_tokens;   // L_in, tokens
  float* output_tokens;   // L_out, tokens (hidden from the agent)
  float* payload_bits;    // D, bit
  float* uncertainty;     // u in [0, 1]
  int32_t* arrival_slot;  // episode slot of the arrival
  float* arrival_off_s;   // arrival instant inside that slot, [0, dt), s
  float* work;            // remaining: seconds (local, downlink) or bits (upload)
  int32_t* ticket;        // FIFO position at the server
  float* iters_done;      // server iterations completed (fluid)
  float* ttft_s;          // time to first token, once known (< 0 before), s
  float* query_energy_j;  // device energy spent on the current query, J
  float* server_energy_j; // server energy charged to the current query, J
  float* deficit_j;       // energy deficit queue Y_i (spec §7), J
  float* energy_used_j;   // device energy since the episode began, J

  // ---- per user-server pair [E][M][N]
  float* mean_gain;  // 10^(-(PL + shadowing)/10), fixed per episode
  float* fade_re;    // Rayleigh fading g, Gauss–Markov (spec §3.8)
  float* fade_im;

  // ---- per server [E][M]
  int32_t* next_ticket;  // tickets handed out so far
  int32_t* next_active;  // tickets below this have entered the batch
  int32_t* n_active;     // queries in the batch now
  int32_t* n_uploading;  // users uploading to it (after the last step)
  float* iter_time_s;    // t_it of the last busy slot (t_it(1) before any)
  float* batch_last;     // b of the last slot

  // ---- per env [E]
  uint32_t* clock;       // slots since creation (RNG counter, never reset)
  int32_t* t;            // slot inside the episode
  float* acc_ema;        // running accuracy (window ~quality_window completions)
  float* hal_ema;        // running hallucination rate
  float* ep_return;      // running sums of the current episode
  float* ep_costs;       // [E][kNumCosts] (env-major, contiguous per env)
  float* ep_latency_sum_s;
  int32_t* ep_completions;
  float* ep_correct;
  float* ep_hallucinated;
  float* ep_offloaded;
  uint32_t* issued;      // queries issued since creation
  uint32_t* completed;   // queries completed since creation
  uint32_t* dropped;     // queries discarded in flight at an episode reset

  // Churn::Rare: written only when a query arrives or is decided, or an
  // episode starts (the memory-traffic model of bench/traffic.h).
  template <class Arena>
  void visit(Arena& a) {
    constexpr Churn rare = Churn::Rare;
    a(device_kind, Extent::User, rare); a(phase, Extent::User); a(qclass, Extent::User, rare);
    a(target, Extent::User, rare); a(prompt_tokens, Extent::User, rare); a(output_tokens, Extent::User, rare);
    a(payload_bits, Extent::User, rare); a(uncertainty, Extent::User, rare); a(arrival_slot, Extent::User, rare);
    a(arrival_off_s, Extent::User, rare); a(work, Extent::User); a(ticket, Extent::User, rare);
    a(iters_done, Extent::User); a(ttft_s, Extent::User, rare); a(query_energy_j, Extent::User);
    a(server_energy_j, Extent::User); a(deficit_j, Extent::User); a(energy_used_j, Extent::User);
    a(mean_gain, Extent::Pair, rare); a(fade_re, Extent::Pair); a(fade_im, Extent::Pair);
    a(next_ticket, Extent::Server); a(next_active, Extent::Server); a(n_active, Extent::Server);
    a(n_uploading, Extent::Server); a(iter_time_s, Extent::Server); a(batch_last, Extent::Server);
    a(clock, Extent::Env); a(t, Extent::Env); a(acc_ema, Extent::Env); a(hal_ema, Extent::Env);
    a(ep_return, Extent::Env); a.take(ep_costs, l.count(Extent::Env) * kNumCosts);
    a(ep_latency_sum_s, Extent::Env); a(ep_completions, Extent::Env); a(ep_correct, Extent::Env);
    a(ep_hallucinated, Extent::Env); a(ep_offloaded, Extent::Env);
    a(issued, Extent::Env); a(completed, Extent::Env); a(dropped, Extent::Env);
  }
};

// Per-completion records for evaluation (optional: null pointers skip them).
// [E][N] env-major; `done` marks the users whose query completed this step.
struct OffloadEvents {
  uint8_t* done = nullptr;
  uint8_t* offloaded = nullptr;
  uint8_t* correct = nullptr;
  uint8_t* hallucinated = nullptr;
  float* latency_s = nullptr;
  float* ttft_s = nullptr;
  float* device_energy_j = nullptr;
  float* server_energy_j = nullptr;
  float* server_batch = nullptr;  // [E][M]: b during this step
  float* user_energy_j = nullptr; // [E][N]: device energy this step (for per-device budgets)

  template <class Arena>
  void visit(Arena& a, int num_envs, int users, int servers) {
    const size_t u = size_t(num_envs) * users, s = size_t(num_envs) * servers;
    a.take(done, u); a.take(offloaded, u); a.take(correct, u); a.take(hallucinated, u);
    a.take(latency_s, u); a.take(ttft_s, u); a.take(device_energy_j, u); a.take(server_energy_j, u);
    a.take(server_batch, s); a.take(user_energy_j, u);
  }
};

}  // namespace mecrl::offload
