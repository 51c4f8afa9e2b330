// Observations and the action mask of the uncertainty scenario.
//
// Per user: its own query and device, then for every server its channel and
// the load it can expect, then snapshot-wide features. Fixed affine scalings
// (and one clip) keep every feature O(1), within [-10, 10] whatever the draw;
// learners add running normalisation on top. What each feature is, with its
// unit and config keys: features.h.
//
// obs:         [E, N, num_features(M)] float32, env-major
// action_mask: [E, N, M + 1] uint8; 0 at action 0 (local) for users with alpha > tau
// active:      [E, N] uint8, all 1 (every user decides once per snapshot)
#pragma once

#include "envs/uncertainty/features.h"
#include "envs/uncertainty/physics.h"

namespace mecrl::uncertainty {

MECRL_HD_CONST int num_features(int num_servers) { return kFServerBase + kPerServer * num_servers; }

MECRL_HD int strongest_server(const UncertaintyParams& p, const UncertaintyState& s, int e, int i) {
  int best = 0;
  float best_g = s.gain[s.l.pair(e, i, 0)];
  for (int j = 1; j < p.num_servers; ++j) {
    const float g = s.gain[s.l.pair(e, i, j)];
    if (g > best_g) {
      best_g = g;
      best = j;
    }
  }
  return best;
}

// Writes env e's observation into obs + e N F, and its mask and active flags.
MECRL_HD void observe_env(const UncertaintyParams& p, const UncertaintyState& s, int e, float* obs,
                          uint8_t* action_mask, uint8_t* active) {
  const int n = p.num_users, m = p.num_servers, f = num_features(m);
  // The "crowd" load: every user at its strongest server (what edge-all
  // would roughly produce); gives each user a congestion estimate per server.
  int near[kMaxServers], near_must[kMaxServers];
  ServerLoad crowd;
  clear_load(p, crowd);
  for (int j = 0; j < m; ++j) near[j] = near_must[j] = 0;
  int must = 0;
  for (int i = 0; i < n; ++i) {
    const int j = strongest_server(p, s, e, i);
    const bool mo = must_offload(p, s.alpha[s.l.user(e, i)]);
    near[j] += 1;
    near_must[j] += mo ? 1 : 0;
    must += mo ? 1 : 0;
    join_server(p, s, e, i, j, crowd);
  }
  JoinView crowd_view;  // n_j sharers (the user counted among them), crowd interference
  for (int j = 0; j < m; ++j) {
    crowd_view.t[j] = link_terms(p, s, e, j, max_of(near[j], 1), crowd.interference_w[j]);
  }
  const float inv_n = 1.f / static_cast<float>(n);
  const float must_frac = static_cast<float>(must) * inv_n;

  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    const size_t row = static_cast<size_t>(e) * n + i;
    float* o = obs + row * f;
    const bool mo = must_offload(p, s.alpha[u]);
    o[kFAlpha] = s.alpha[u];
    o[kFMustOffload] = mo ? 1.f : 0.f;
    o[kFLocalDelay] = s.local_s[u] * 20.f;  // s -> ms / 50
    o[kFSlmTime] = s.slm_s[u] * 20.f;
    o[kFLogPayload] = hd::log2_f(s.payload_bits[u]) * 0.1f;
    o[kFDeviceSpeed] = s.local_flops[u] / p.ref_flops;
    o[kFUsers] = static_cast<float>(n) * 0.01f;
    o[kFTau] = p.tau;
    o[kFMustFraction] = must_frac;
    const int own = strongest_server(p, s, e, i);
    for (int j = 0; j < m; ++j) {
      float* os = o + kFServerBase + kPerServer * j;
      os[kSGainDb] = (hd::linear_to_db(s.gain[s.l.pair(e, i, j)]) + 80.f) * 0.05f;
      os[kSCompute] = s.server_flops[s.l.server(e, j)] / p.server_flops;
      os[kSNearShare] = static_cast<float>(near[j] * m) * inv_n;
      os[kSMustShare] = static_cast<float>(near_must[j] * m) * inv_n;
      // In the crowd load a user already counts at its own strongest server;
      // elsewhere it would be one more sharer and its own signal no interference.
      LinkTerms t = crowd_view.t[j];
      if (j != own) {
        const float own_w = p.tx_power_w * s.gain[s.l.pair(e, i, j)];
        t = link_terms(p, s, e, j, near[j] + 1, max_of(crowd.interference_w[j] - own_w, 0.f));
      }
      const OffloadDelay d = offload_delay(p, s, e, i, j, t, p.decision_llm_ratio * s.slm_s[u]);
      os[kSCrowdDelay] = min_of((d.uplink_s + d.compute_s) * 20.f, 10.f);
    }
    const int a = m + 1;
    action_mask[row * a] = mo ? 0 : 1;
    for (int k = 1; k < a; ++k) action_mask[row * a + k] = 1;
    active[row] = 1;
  }
}

}  // namespace mecrl::uncertainty
