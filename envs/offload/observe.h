// Observations (spec §7): each user's own features, then for every server
// its channel and load, then cell-wide features. Fixed affine scalings keep
// every feature O(1); learners add running normalisation on top. What each
// feature is, with its unit and config keys: features.h. Written by a team
// (core/team.h), a lane per user; the GPU stages the rows in shared memory so
// the write of an env's [N, F] block coalesces.
//
// obs: [E, N, num_features(M)] float32, env-major (layout: features.h).
#pragma once

#include "envs/offload/features.h"
#include "envs/offload/predict.h"
#include "envs/offload/scratch.h"

namespace mecrl::offload {

// Cell-wide values every row of an env's observation repeats.
struct CellObs {
  float slot_frac, acc_gap, hal_gap;
  float deficit_scale;  // 1 / (energy budget * 60 s)
};

// User i's row o[kFeatures(M)] and its decide flag; the load features of
// each server (the same in every row) come from the team scratch.
MECRL_HD void observe_user(const OffloadParams& p, const OffloadState& s, const OffloadScratch& x, const CellObs& cell,
                           int e, int i, float* o, uint8_t* active) {
  const int n = p.num_users, m = p.num_servers;
  const size_t u = s.l.user(e, i);
  const uint8_t ph = s.phase[u];
  const bool has_query = ph != kIdle;
  const int c = s.qclass[u];
  o[kFDecide] = ph == kDecide ? 1.f : 0.f;
  active[static_cast<size_t>(e) * n + i] = ph == kDecide ? 1 : 0;
  o[kFLogPrompt] = has_query ? hd::log1p_f(s.prompt_tokens[u]) * 0.1f : 0.f;
  o[kFSimple] = has_query && c == 0 ? 1.f : 0.f;
  o[kFComplex] = has_query && c == 1 ? 1.f : 0.f;
  o[kFMedianOut] = has_query ? p.output_median_tokens[c] * 0.01f : 0.f;
  o[kFLogPayload] = has_query ? hd::log1p_f(s.payload_bits[u]) * (1.f / 16.f) : 0.f;
  o[kFUncertainty] = has_query ? s.uncertainty[u] : 0.f;
  float local_s = 0.f;
  if (ph == kDecide) local_s = predicted_local_s(p, s, e, i);
  if (ph == kLocal) {  // predicted total minus the (observable) time already run
    const int kind = s.device_kind[u];
    const float total = s.prompt_tokens[u] * p.d.device_prefill_s[kind] + s.output_tokens[u] * p.d.device_token_s[kind];
    local_s = max_of(predicted_local_s(p, s, e, i) - (total - s.work[u]), 0.f);
  }
  o[kFLocalTime] = local_s * (1.f / 30.f);
  o[kFDeficit] = s.deficit_j[u] * cell.deficit_scale;
  o[kFLocalAcc] = has_query ? p.device_model.acc[c] : 0.f;
  o[kFLocalHal] = p.device_model.hal;
  const bool at_server = ph == kServer;
  const size_t ks = at_server ? s.l.server(e, s.target[u] - 1) : 0;
  const bool in_batch = at_server && s.ticket[u] < s.next_active[ks];
  o[kFInLocal] = ph == kLocal ? 1.f : 0.f;
  o[kFInUpload] = ph == kUpload ? 1.f : 0.f;
  o[kFInQueue] = at_server && !in_batch ? 1.f : 0.f;
  o[kFInBatch] = in_batch ? 1.f : 0.f;
  o[kFInDownlink] = ph == kDownlink ? 1.f : 0.f;
  o[kFElapsed] = has_query ? (static_cast<float>(s.t[e] - s.arrival_slot[u]) * p.dt_s - s.arrival_off_s[u]) *
                                 (1.f / 30.f)
                           : 0.f;
  float ahead = 0.f, left_s = 0.f;
  if (at_server && !in_batch) {
    ahead = static_cast<float>(s.ticket[u] - s.next_active[ks]) /
            static_cast<float>(max_of(p.d.max_batch[s.target[u] - 1], 1));
  }
  if (in_batch) {
    const float need = static_cast<float>(prefill_iterations(p, s.prompt_tokens[u])) + p.output_median_tokens[c];
    left_s = max_of(need - s.iters_done[u], 0.f) * s.iter_time_s[ks];
  }
  o[kFQueueAhead] = ahead;
  o[kFServerLeft] = left_s * (1.f / 30.f);
  o[kFSlotFrac] = cell.slot_frac;
  o[kFAccGap] = cell.acc_gap;
  o[kFHalGap] = cell.hal_gap;
  for (int j = 0; j < m; ++j) {
    float* os = o + kFServerBase + kPerServer * j;
    os[kSGainDb] = (hd::linear_to_db(channel_gain(s, e, i, j)) + 100.f) * 0.05f;
    for (int k = kSQueued; k < kPerServer; ++k) os[k] = x.server_obs[kPerServer * j + k];
  }
}

// Server j's load features (kSQueued .. kSUploaders), the same for every user.
MECRL_HD void observe_server(const OffloadParams& p, const OffloadState& s, const OffloadScratch& x, int e, int j) {
  const size_t k = s.l.server(e, j);
  const int queued = s.next_ticket[k] - s.next_active[k], active = s.n_active[k], uploading = s.n_uploading[k];
  const float inv_b = 1.f / static_cast<float>(max_of(p.d.max_batch[j], 1));
  float* os = x.server_obs + kPerServer * j;
  os[kSQueued] = static_cast<float>(queued) * inv_b;
  os[kSActive] = static_cast<float>(active) * inv_b;
  os[kSWait] = estimated_wait_s(p, j, queued + active + uploading) * (1.f / 30.f);
  os[kSUploaders] = static_cast<float>(uploading) * 0.1f;
}

// Writes env e's observation into obs + e * N * F, and its decide mask:
// the server features once per env (a lane per server), then a row per user.
template <class Team>
MECRL_HD void observe_env(const Team& team, const OffloadParams& p, const OffloadState& s, const OffloadScratch& x,
                          int e, float* obs, uint8_t* active) {
  const int n = p.num_users, m = p.num_servers, f = num_features(m);
  team.for_lanes(m, [&](int j) { observe_server(p, s, x, e, j); });
  team.sync();
  const CellObs cell{min_of(static_cast<float>(s.t[e]) / static_cast<float>(p.obs_horizon_slots), 1.f),
                     s.acc_ema[e] - p.acc_min, s.hal_ema[e] - p.hal_max, 1.f / (p.energy_budget_w * 60.f)};
  float* dst = obs + static_cast<size_t>(e) * n * f;
  const RowTile tile = team.rows(dst, n, f);
  team.for_users([&](int i) { observe_user(p, s, x, cell, e, i, tile.row(i), active); });
  team.store_rows(tile, dst, n, f);
}

}  // namespace mecrl::offload
