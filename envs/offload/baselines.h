// Heuristic policies of spec §9 as MECRL_HD functions over the state, so
// `eval` runs them on either backend. They live beside the env (not in
// agents/) because they read simulator state that no observation exposes in
// full (channel per server, queue counts), exactly as the papers' schedulers do.
//
// actions: [E, N] int32, env-major; 0 = local, j + 1 = server j. Only users in
// `decide` matter; the others get 0.
#pragma once

#include "core/random.h"
#include "envs/offload/predict.h"

namespace mecrl::offload {

enum class Baseline : int { kLocal, kOffload, kRandom, kComplexity, kGreedy, kGoa };

// GOA (seed 001), applied per slot to the users in `decide` (spec §10.10):
// alpha := u, delta_ij = u_i (d_ij - t_L,i). Step 1 assigns every user with
// u > tau, one at a time, to its argmin-delta server; step 2 assigns the rest
// while the smallest delta is negative. Each assignment updates the view (one
// more uploader at that server), so later predictions see it.
MECRL_HD void goa_actions(const OffloadParams& p, const OffloadState& s, int e, float tau, int32_t* act) {
  const int n = p.num_users, m = p.num_servers;
  ServerView v = server_view(p, s, e);
  // -1 marks a deciding user not yet assigned.
  for (int i = 0; i < n; ++i) act[i] = s.phase[s.l.user(e, i)] == kDecide ? -1 : 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (;;) {
      int best_i = -1, best_j = -1;
      float best = 0.f;
      for (int i = 0; i < n; ++i) {
        if (act[i] != -1) continue;
        const float u = s.uncertainty[s.l.user(e, i)];
        if (pass == 0 && !(u > tau)) continue;
        const float t_local = predicted_local_s(p, s, e, i);
        for (int j = 0; j < m; ++j) {
          const float delta = u * (predicted_offload_s(p, s, v, e, i, j) - t_local);
          if (best_i < 0 || delta < best) {
            best = delta;
            best_i = i;
            best_j = j;
          }
        }
      }
      if (best_i < 0) break;                 // nobody left in this step
      if (pass == 1 && best >= 0.f) break;   // step 2 stops when no gain remains
      act[best_i] = best_j + 1;
      v.uploading[best_j] += 1;
    }
  }
  for (int i = 0; i < n; ++i) act[i] = act[i] < 0 ? 0 : act[i];
}

// Writes env e's actions into act = actions + e * N.
MECRL_HD void baseline_actions(Baseline b, const OffloadParams& p, const OffloadState& s, int e, float goa_tau,
                               int32_t* actions) {
  const int n = p.num_users, m = p.num_servers;
  int32_t* act = actions + static_cast<size_t>(e) * n;
  if (b == Baseline::kGoa) {
    goa_actions(p, s, e, goa_tau, act);
    return;
  }
  const ServerView v = b == Baseline::kGreedy ? server_view(p, s, e) : ServerView{};
  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    int a = 0;
    if (s.phase[u] == kDecide) {
      switch (b) {
        case Baseline::kLocal: a = 0; break;
        case Baseline::kOffload: a = best_channel_server(p, s, e, i) + 1; break;
        case Baseline::kRandom: {
          Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, s.clock[e], kStreamPolicy, static_cast<uint32_t>(i));
          a = r.bernoulli(0.5f) ? best_channel_server(p, s, e, i) + 1 : 0;
          break;
        }
        case Baseline::kComplexity: a = s.qclass[u] == 1 ? best_channel_server(p, s, e, i) + 1 : 0; break;
        case Baseline::kGreedy: {  // lowest predicted latency, from the observed state
          float best = predicted_local_s(p, s, e, i);
          for (int j = 0; j < m; ++j) {
            const float d = predicted_offload_s(p, s, v, e, i, j);
            if (d < best) {
              best = d;
              a = j + 1;
            }
          }
          break;
        }
        case Baseline::kGoa: break;
      }
    }
    act[i] = a;
  }
}

}  // namespace mecrl::offload
