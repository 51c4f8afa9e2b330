// UncertaintyState: one snapshot per env as structure of arrays (spec §1, §3).
// Indices go through `l` (core/soa.h): [env][user], [env][user][server],
// [env][server] logically; the memory order is the backend's choice
// (env-major on the CPU, env-minor on the GPU).
#pragma once

#include <cstdint>

#include "core/soa.h"
#include "envs/uncertainty/params.h"

namespace mecrl::uncertainty {

// Philox stream ids (core/random.h); the counter's `slot` is the snapshot id.
enum Stream : uint32_t {
  kStreamUser = 1,    // lane = user: position, alpha, answers, timings, payload, device
  kStreamPair = 2,    // lane = user * M + server: Rayleigh fading
  kStreamServer = 3,  // lane = server: C_ES,j
  kStreamPolicy = 4,  // lane = 0: the `random` baseline's subset
};

struct UncertaintyState {
  SoaLayout l;

  // ---- per user [E][N]
  float* x_m;             // position in the area, m
  float* y_m;
  float* alpha;           // token-level uncertainty alpha_i in (0, 1]
  uint8_t* slm_correct;   // 1 if the on-device SLM answers this query correctly
  uint8_t* llm_correct;   // 1 if the server LLM answers it correctly
  float* slm_s;           // t_SLM,i on the reference device (C_ref), s
  float* llm_s;           // t_LLM,i on the reference device, s
  float* local_s;         // t_L,i = t_SLM,i C_ref / C_L,i: the local delay, s
  float* local_flops;     // C_L,i, FLOP/s
  float* payload_bits;    // D_i, bit

  // ---- per user-server pair [E][N][M]
  float* gain;            // |h_ij|^2 = (c / (4 pi f max(d, d_min)))^2 |g_ij|^2, g ~ CN(0, 1)

  // ---- per server [E][M]
  float* server_flops;    // C_ES,j, FLOP/s

  // ---- per env [E]
  uint32_t* drawn;        // snapshots drawn so far; the current one has id drawn - 1
  uint8_t* pass;          // join view: 0 = the proposal pass is next, 1 = the decision (always 0 without)

  template <class Arena>
  void visit(Arena& a) {
    a(x_m, Extent::User); a(y_m, Extent::User); a(alpha, Extent::User);
    a(slm_correct, Extent::User); a(llm_correct, Extent::User); a(slm_s, Extent::User);
    a(llm_s, Extent::User); a(local_s, Extent::User); a(local_flops, Extent::User);
    a(payload_bits, Extent::User);
    a(gain, Extent::Pair);
    a(server_flops, Extent::Server);
    a(drawn, Extent::Env); a(pass, Extent::Env);
  }
};

// Per-user outcome of the step just taken, for evaluation (optional: null
// pointers skip them). [E][N] env-major, written by every decision (not by
// the join view's proposal pass).
struct UncertaintyEvents {
  float* delay_s = nullptr;     // reported delay: t_L,i or D_i/R_ij + t_LLM,i / (C_j / C_ref)
  float* uplink_s = nullptr;    // D_i / R_ij (0 if local)
  float* compute_s = nullptr;   // server compute t_LLM,i / (C_j / C_ref) (0 if local)
  uint8_t* offloaded = nullptr; // 1 if the user offloaded
  uint8_t* correct = nullptr;   // 1 if the answer it got is correct
  uint8_t* mandatory = nullptr; // 1 if alpha_i > tau (the accuracy rule asks to offload)

  template <class Arena>
  void visit(Arena& a, int num_envs, int users) {
    const size_t u = size_t(num_envs) * users;
    a.take(delay_s, u); a.take(uplink_s, u); a.take(compute_s, u);
    a.take(offloaded, u); a.take(correct, u); a.take(mandatory, u);
  }
};

}  // namespace mecrl::uncertainty
