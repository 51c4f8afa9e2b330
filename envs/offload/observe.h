// Observations (spec §7): each user's own features, then for every server
// its channel and load, then cell-wide features. Fixed affine scalings keep
// every feature O(1); learners add running normalisation on top. Written by
// a team (core/team.h), a lane per user; the GPU stages the rows in shared
// memory so the write of an env's [N, F] block coalesces.
//
// obs: [E, N, kFeatures(M)] float32, env-major.
#pragma once

#include "envs/offload/predict.h"
#include "envs/offload/scratch.h"

namespace mecrl::offload {

enum Feature : int {
  kFDecide = 0,       // 1 if the user decides this slot
  kFLogPrompt = 1,    // log1p(L_in) / 10
  kFSimple = 2,       // class one-hot
  kFComplex = 3,
  kFMedianOut = 4,    // class-median L_out / 100
  kFLogPayload = 5,   // log1p(D bits) / 16
  kFUncertainty = 6,  // u
  kFLocalTime = 7,    // own predicted local time-to-finish, s / 30
  kFDeficit = 8,      // energy deficit Y_i / (budget * 60 s)
  kFLocalAcc = 9,     // on-device variant's accuracy for this class
  kFLocalHal = 10,    // on-device variant's hallucination rate
  kFSlotFrac = 11,    // t / obs_horizon_slots, clamped to 1 (params.h)
  kFAccGap = 12,      // running accuracy - A_min
  kFHalGap = 13,      // running hallucination - H_max
  // Where the user's query is (one-hot; all 0 when idle or deciding). Beyond
  // the list of spec §7: without them a critic cannot tell a query queued at
  // a congested server from one about to finish, and the value of every
  // in-flight state (most of a rollout) is guesswork.
  kFInLocal = 14,
  kFInUpload = 15,
  kFInQueue = 16,
  kFInBatch = 17,
  kFInDownlink = 18,
  kFElapsed = 19,     // time since the query arrived, s / 30
  kFQueueAhead = 20,  // queued: queries ahead of it / B_max
  kFServerLeft = 21,  // in the batch: predicted time left (class-median L_out, current t_it), s / 30
  kFServerBase = 22,  // then per server j: kFServerBase + kPerServer * j + ...
};
enum ServerFeature : int {
  kSGainDb = 0,    // (10 log10 G_ij + 100) / 20
  kSQueued = 1,    // queued / B_max
  kSActive = 2,    // active / B_max
  kSWait = 3,      // estimated wait for a newcomer, s / 30
  kSUploaders = 4, // uploaders / 10
  kPerServer = 5,
};

MECRL_HD_CONST int num_features(int num_servers) { return kFServerBase + kPerServer * num_servers; }

// Cell-wide values every row of an env's observation repeats.
struct CellObs {
  float slot_frac, acc_gap, hal_gap;
};

// User i's row o[kFeatures(M)] and its decide flag; the per-server view
// (queued, active, uploading, wait) comes from the team scratch.
MECRL_HD void observe_user(const OffloadParams& p, const OffloadState& s, const OffloadScratch& x, const CellObs& cell,
                           int e, int i, float* o, uint8_t* active) {
  const int n = p.num_users, m = p.num_servers;
  const float deficit_scale = 1.f / (p.energy_budget_w * 60.f);
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
  o[kFDeficit] = s.deficit_j[u] * deficit_scale;
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
    const float inv_b = 1.f / static_cast<float>(max_of(p.d.max_batch[j], 1));
    os[kSGainDb] = (hd::linear_to_db(channel_gain(s, e, i, j)) + 100.f) * 0.05f;
    os[kSQueued] = static_cast<float>(x.queued[j]) * inv_b;
    os[kSActive] = static_cast<float>(x.active[j]) * inv_b;
    os[kSWait] = x.wait_s[j] * (1.f / 30.f);
    os[kSUploaders] = static_cast<float>(x.uploading[j]) * 0.1f;
  }
}

// Writes env e's observation into obs + e * N * F, and its decide mask:
// the server view once per env (a lane per server), then a row per user.
template <class Team>
MECRL_HD void observe_env(const Team& team, const OffloadParams& p, const OffloadState& s, const OffloadScratch& x,
                          int e, float* obs, uint8_t* active) {
  const int n = p.num_users, m = p.num_servers, f = num_features(m);
  team.for_lanes(m, [&](int j) {
    const size_t k = s.l.server(e, j);
    x.queued[j] = s.next_ticket[k] - s.next_active[k];
    x.active[j] = s.n_active[k];
    x.uploading[j] = s.n_uploading[k];
    x.wait_s[j] = estimated_wait_s(p, j, x.queued[j] + x.active[j] + x.uploading[j]);
  });
  team.sync();
  const CellObs cell{min_of(static_cast<float>(s.t[e]) / static_cast<float>(p.obs_horizon_slots), 1.f),
                     s.acc_ema[e] - p.acc_min, s.hal_ema[e] - p.hal_max};
  float* dst = obs + static_cast<size_t>(e) * n * f;
  const RowTile tile = team.rows(dst, n, f);
  team.for_users([&](int i) { observe_user(p, s, x, cell, e, i, tile.row(i), active); });
  team.store_rows(tile, dst, n, f);
}

}  // namespace mecrl::offload
