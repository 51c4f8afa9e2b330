// Episode start (spec §2, §3.8, §10.3): drop users, draw devices, shadowing
// and initial fading; empty queues. Also the query draw used on arrivals.
// Team code (core/team.h): a lane per user, a lane per server, lane 0 for
// the cell.
#pragma once

#include "core/random.h"
#include "envs/offload/observe.h"
#include "envs/step_buffers.h"

namespace mecrl::offload {

inline constexpr int kEpisodeInfo = 7;
// Names of ep_info columns, in order (see step.h: finish_episode).
inline constexpr const char* kEpisodeInfoNames[kEpisodeInfo] = {
    "latency_mean_s", "completions", "accuracy",         "hallucination",
    "offload_frac",   "device_power_w", "inflight_at_end"};

// A new query for user i (spec §2 "Query", §10.2).
MECRL_HD void draw_query(const OffloadParams& p, const OffloadState& s, int e, int i, Rng& r) {
  const size_t u = s.l.user(e, i);
  const int c = r.bernoulli(p.p_complex) ? 1 : 0;
  const float lin = hd::floor_f(r.lognormal(p.prompt_median_tokens[c], p.prompt_sigma) + 0.5f);
  const float lout = hd::floor_f(r.lognormal(p.output_median_tokens[c], p.output_sigma) + 0.5f);
  s.qclass[u] = static_cast<uint8_t>(c);
  s.prompt_tokens[u] = clamp_to(lin, static_cast<float>(p.prompt_min_tokens), static_cast<float>(p.prompt_max_tokens));
  s.output_tokens[u] = clamp_to(lout, static_cast<float>(p.output_min_tokens), static_cast<float>(p.output_max_tokens));
  float bits = p.bits_per_prompt_token * s.prompt_tokens[u];
  if (r.bernoulli(p.p_attachment)) bits += r.lognormal(p.attachment_median_bits, p.attachment_sigma);
  s.payload_bits[u] = bits;
  s.uncertainty[u] = hd::sigmoid_f(p.uncertainty_mu[c] + r.normal());
}

MECRL_HD bool in_flight(const OffloadState& s, size_t u) { return s.phase[u] != kIdle; }

// User i's part of an episode start: position, device, shadowing, fading.
MECRL_HD void reset_user(const OffloadParams& p, const OffloadState& s, int e, int i, uint32_t clock) {
  const int m = p.num_servers;
  const size_t u = s.l.user(e, i);
  Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, clock, kStreamResetUser, static_cast<uint32_t>(i));
  const float x = r.uniform() * p.area_m, y = r.uniform() * p.area_m;
  const float pick = r.uniform();
  int kind = 0;
  while (kind + 1 < p.num_device_kinds && pick >= p.d.device_share_cdf[kind]) ++kind;
  s.device_kind[u] = static_cast<uint8_t>(kind);
  s.phase[u] = kIdle;
  s.qclass[u] = 0;
  s.target[u] = 0;
  s.prompt_tokens[u] = 0.f;
  s.output_tokens[u] = 0.f;
  s.payload_bits[u] = 0.f;
  s.uncertainty[u] = 0.f;
  s.arrival_slot[u] = 0;
  s.arrival_off_s[u] = 0.f;
  s.work[u] = 0.f;
  s.ticket[u] = 0;
  s.iters_done[u] = 0.f;
  s.ttft_s[u] = -1.f;
  s.query_energy_j[u] = 0.f;
  s.server_energy_j[u] = 0.f;
  s.deficit_j[u] = 0.f;
  s.energy_used_j[u] = 0.f;
  for (int j = 0; j < m; ++j) {
    const size_t k = s.l.pair(e, i, j);
    Rng rp(p.seed, static_cast<uint32_t>(e) + p.first_env, clock, kStreamResetPair, static_cast<uint32_t>(i * m + j));
    const float dx = x - p.d.server_pos_m[j][0], dy = y - p.d.server_pos_m[j][1];
    const float pl_db = path_loss_db(p, sqrtf(dx * dx + dy * dy)) + p.shadowing_sigma_db * rp.normal();
    s.mean_gain[k] = hd::db_to_linear(-pl_db);
    float g0, g1;
    rp.normal2(g0, g1);
    s.fade_re[k] = g0 * 0.70710678f;  // CN(0, 1): each part has variance 1/2
    s.fade_im[k] = g1 * 0.70710678f;
  }
}

// Server j's part: empty queues; before any batch has run, predictors see
// a single query at the median context.
MECRL_HD void reset_server(const OffloadParams& p, const OffloadState& s, int e, int j) {
  const size_t k = s.l.server(e, j);
  s.next_ticket[k] = 0;
  s.next_active[k] = 0;
  s.n_active[k] = 0;
  s.n_uploading[k] = 0;
  const float ctx = (1.f - p.p_complex) * p.prompt_median_tokens[0] + p.p_complex * p.prompt_median_tokens[1];
  s.iter_time_s[k] = iteration_time_s(p, p.server_model[j], p.server_gpu[j], ctx, 1.f, 0.f);
  s.batch_last[k] = 0.f;
}

MECRL_HD void reset_cell(const OffloadParams& p, const OffloadState& s, int e) {
  s.t[e] = 0;
  s.acc_ema[e] = p.acc_min;
  s.hal_ema[e] = p.hal_max;
  s.ep_return[e] = 0.f;
  for (int c = 0; c < kNumCosts; ++c) s.ep_costs[static_cast<size_t>(e) * kNumCosts + c] = 0.f;
  s.ep_latency_sum_s[e] = 0.f;
  s.ep_completions[e] = 0;
  s.ep_correct[e] = 0.f;
  s.ep_hallucinated[e] = 0.f;
  s.ep_offloaded[e] = 0.f;
}

// Starts a new episode in env e and writes its first observation.
// Queries still in flight are discarded and counted in `dropped`.
template <class Team>
MECRL_HD void reset_env(const Team& team, const OffloadParams& p, const OffloadState& s, const OffloadScratch& x,
                        const StepBuffers& out, int e) {
  const int dropped = team.count_users([&](int i) { return in_flight(s, s.l.user(e, i)); });
  const uint32_t clock = s.clock[e];
  team.single([&] { s.dropped[e] += static_cast<uint32_t>(dropped); });
  team.for_users([&](int i) { reset_user(p, s, e, i, clock); });
  team.for_lanes(p.num_servers, [&](int j) { reset_server(p, s, e, j); });
  team.single([&] { reset_cell(p, s, e); });
  team.sync();
  observe_env(team, p, s, x, e, out.obs, out.active);
}

}  // namespace mecrl::offload
