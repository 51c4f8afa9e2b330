// Observations and the action mask of the uncertainty scenario, written by a
// team (core/team.h), a lane per user.
//
// Per user: its own query and device, then for every server its channel and
// the load it can expect, then snapshot-wide features. Fixed affine scalings
// (and one clip) keep every feature O(1), within [-10, 10] whatever the draw;
// learners add running normalisation on top. What each feature is, with its
// unit and config keys: features.h.
//
// obs:         [E, N, num_features(M, join_view)] float32, env-major
// action_mask: [E, N, M + 1] uint8; 0 at action 0 (local) for users with alpha > tau
// active:      [E, N] uint8, all 1 (every user decides once per snapshot)
#pragma once

#include "envs/uncertainty/features.h"
#include "envs/uncertainty/scratch.h"

namespace mecrl::uncertainty {

// The join block starts at join_offset(M).
MECRL_HD_CONST int join_offset(int num_servers) { return kFServerBase + kPerServer * num_servers; }
MECRL_HD_CONST int num_features(int num_servers, bool join_view) {
  return join_offset(num_servers) + (join_view ? kJServerBase + kPerServerJoin * num_servers : 0);
}

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

// The delay features: user i's uplink + compute delay at server j seeing
// `t`, compute estimated as the baselines do (decision_llm_ratio t_SLM,i),
// in 50 ms, clipped to 10 (500 ms).
MECRL_HD float delay_feature(const UncertaintyParams& p, const UncertaintyState& s, int e, int i, int j,
                             const LinkTerms& t) {
  const OffloadDelay d = offload_delay(p, s, e, i, j, t, p.decision_llm_ratio * s.slm_s[s.l.user(e, i)]);
  return min_of((d.uplink_s + d.compute_s) * 20.f, 10.f);
}

// User i's row o[num_features(M, join_view)], its mask row and active flag;
// the crowd view per server comes from the team scratch. proposals: env e's
// [N] actions of the join view's proposal pass just taken (0 = local, j + 1 =
// server j; their load in x.load), or nullptr.
MECRL_HD void observe_user(const UncertaintyParams& p, const UncertaintyState& s, const UncertaintyScratch& x,
                           float must_frac, const int32_t* proposals, int e, int i, float* o, uint8_t* action_mask,
                           uint8_t* active) {
  const int n = p.num_users, m = p.num_servers;
  const size_t u = s.l.user(e, i);
  const size_t row = static_cast<size_t>(e) * n + i;
  const float inv_n = 1.f / static_cast<float>(n);
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
  const int own = x.own[i];
  for (int j = 0; j < m; ++j) {
    float* os = o + kFServerBase + kPerServer * j;
    os[kSGainDb] = (hd::linear_to_db(s.gain[s.l.pair(e, i, j)]) + 80.f) * 0.05f;
    os[kSCompute] = s.server_flops[s.l.server(e, j)] / p.server_flops;
    os[kSNearShare] = static_cast<float>(x.near[j] * m) * inv_n;
    os[kSMustShare] = static_cast<float>(x.near_must[j] * m) * inv_n;
    // In the crowd load a user already counts at its own strongest server.
    os[kSCrowdDelay] = delay_feature(p, s, e, i, j, moved_terms(p, s, e, i, j, own + 1, x.near[j], x.crowd_w[j]));
  }
  const int a = m + 1;
  action_mask[row * a] = mo ? 0 : 1;
  for (int k = 1; k < a; ++k) action_mask[row * a + k] = 1;
  active[row] = 1;
  if (!p.join_view) return;
  float* oj = o + join_offset(m);
  oj[kJProposalPass] = proposals ? 0.f : 1.f;
  const int proposed = proposals ? clamp_to(proposals[i], 0, m) : 0;
  for (int j = 0; j < m; ++j) {
    float* os = oj + kJServerBase + kPerServerJoin * j;
    os[kJProposed] = 0.f;
    os[kJShare] = 0.f;
    os[kJDelay] = 0.f;
    if (!proposals) continue;
    const ServerLoad& v = *x.load;  // the proposals' load, this user counted where it proposed
    os[kJProposed] = proposed == j + 1 ? 1.f : 0.f;
    os[kJShare] = static_cast<float>(v.n[j] * m) * inv_n;
    os[kJDelay] = delay_feature(p, s, e, i, j, moved_terms(p, s, e, i, j, proposed, v.n[j], v.interference_w[j]));
  }
}

// Writes env e's observation into obs + e N F, and its mask and active
// flags. The "crowd" load puts every user at its strongest server (what
// edge-all would roughly produce) and gives each user a congestion estimate
// per server: counted and summed per server by team reductions first. After
// a proposal pass (proposals: env e's [N] actions of it; else nullptr) the
// join view adds the load the proposals put on each server.
template <class Team>
MECRL_HD void observe_env(const Team& team, const UncertaintyParams& p, const UncertaintyState& s,
                          const UncertaintyScratch& x, int e, float* obs, uint8_t* action_mask, uint8_t* active,
                          const int32_t* proposals = nullptr) {
  const int n = p.num_users, m = p.num_servers, f = num_features(m, p.join_view);
  if (proposals) load_of(team, p, s, e, [&](int k) { return proposals[k]; }, *x.load);
  team.histogram([&](int i) { return x.own[i] = strongest_server(p, s, e, i); }, m, x.near);
  team.histogram([&](int i) { return must_offload(p, s.alpha[s.l.user(e, i)]) ? x.own[i] : -1; }, m, x.near_must);
  int must_count = 0;  // every user has a strongest server
  for (int j = 0; j < m; ++j) must_count += x.near_must[j];
  for (int jj = 0; jj < m; ++jj) {  // every user heard at full power where it does not belong
    const float w = team.sum_users([&](int k) { return x.own[k] != jj ? p.tx_power_w * s.gain[s.l.pair(e, k, jj)] : 0.f; });
    team.single([&] { x.crowd_w[jj] = w; });
  }
  team.sync();
  const float must_frac = static_cast<float>(must_count) * (1.f / static_cast<float>(n));
  float* dst = obs + static_cast<size_t>(e) * n * f;
  const RowTile tile = team.rows(dst, n, f);
  team.for_users([&](int i) { observe_user(p, s, x, must_frac, proposals, e, i, tile.row(i), action_mask, active); });
  team.store_rows(tile, dst, n, f);
}

}  // namespace mecrl::uncertainty
