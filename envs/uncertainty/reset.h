// Snapshot draw (spec §1, §3): users, their queries and devices, fading,
// server capabilities; then the first (and only) observation of the episode.
//
// Snapshot k of env e uses the Philox counters (e, k, stream, lane), so
// every policy sees the same snapshots and any env can be replayed alone.
#pragma once

#include "core/random.h"
#include "envs/step_buffers.h"
#include "envs/uncertainty/observe.h"

namespace mecrl::uncertainty {

inline constexpr int kEpisodeInfo = 5;
// Names of ep_info columns, in order (see step.h).
inline constexpr const char* kEpisodeInfoNames[kEpisodeInfo] = {"delay_mean_ms", "accuracy", "offload_frac",
                                                                "uplink_mean_ms", "compute_mean_ms"};

// |g|^2 of a CN(0, 1) draw is floored at 2^-24, the resolution of the
// 24-bit uniform behind Box-Muller: the one draw that would give exactly 0
// (a link dead with certainty) is mapped to the next representable fade.
inline constexpr float kMinFadePower = 5.9604645e-8f;

// Both answers (SLM's and LLM's) are drawn here, before any decision: the
// decision only selects which one counts, as with the authors' per-query
// measurements, and every policy is scored on the same answers.
// t_L,i = t_SLM,i C_ref / C_L,i (spec §3; §1's "t_L,i = t_SLM,i" is the same
// thing with t_SLM,i read as the user's own device time).
MECRL_HD void draw_user(const UncertaintyParams& p, const UncertaintyState& s, int e, int i, uint32_t snap) {
  const size_t u = s.l.user(e, i);
  Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, snap, kStreamUser, static_cast<uint32_t>(i));
  s.x_m[u] = r.uniform() * p.area_m;
  s.y_m[u] = r.uniform() * p.area_m;
  const float alpha = r.beta_a1(p.alpha_beta_a);
  s.alpha[u] = alpha;
  const bool slm_ok = r.bernoulli(slm_correct_prob(p, alpha));
  s.slm_correct[u] = slm_ok ? 1 : 0;
  s.llm_correct[u] = r.bernoulli(slm_ok ? p.llm_acc_slm_correct : p.llm_acc_slm_wrong) ? 1 : 0;
  const float slm = r.lognormal(p.slm_median_s, p.slm_sigma);
  s.slm_s[u] = slm;
  s.llm_s[u] = p.llm_ratio * slm * r.lognormal(1.f, p.llm_sigma);
  s.payload_bits[u] = r.lognormal(p.payload_median_bits, p.payload_sigma);
  const float c_local = p.ref_flops * r.uniform(p.local_scale_min, p.local_scale_max);
  s.local_flops[u] = c_local;
  s.local_s[u] = slm * p.ref_flops / c_local;
}

MECRL_HD void draw_channels(const UncertaintyParams& p, const UncertaintyState& s, int e, int i, uint32_t snap) {
  const int m = p.num_servers;
  const size_t u = s.l.user(e, i);
  for (int j = 0; j < m; ++j) {
    Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, snap, kStreamPair, static_cast<uint32_t>(i * m + j));
    const float dx = s.x_m[u] - p.d.server_pos_m[j][0], dy = s.y_m[u] - p.d.server_pos_m[j][1];
    const float amp = free_space_amplitude(p, sqrtf(dx * dx + dy * dy));
    float g0, g1;
    r.normal2(g0, g1);  // Rayleigh block fading: g = (g0 + i g1) / sqrt 2
    const float fade = max_of(0.5f * (g0 * g0 + g1 * g1), kMinFadePower);
    s.gain[s.l.pair(e, i, j)] = amp * amp * fade;
  }
}

// Draws a fresh snapshot in env e and writes its observation, mask and
// active flags: a lane per user, a lane per server.
template <class Team>
MECRL_HD void reset_env(const Team& team, const UncertaintyParams& p, const UncertaintyState& s,
                        const UncertaintyScratch& x, const StepBuffers& out, int e) {
  const uint32_t snap = s.drawn[e];
  team.sync();  // every lane has read `drawn` before lane 0 moves it on
  team.single([&] {
    s.drawn[e] = snap + 1u;
    s.pass[e] = 0;
  });
  team.for_users([&](int i) {
    draw_user(p, s, e, i, snap);
    draw_channels(p, s, e, i, snap);
  });
  team.for_lanes(p.num_servers, [&](int j) {
    Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, snap, kStreamServer, static_cast<uint32_t>(j));
    s.server_flops[s.l.server(e, j)] = p.server_flops * r.uniform(p.server_scale_min, p.server_scale_max);
  });
  team.sync();
  observe_env(team, p, s, x, e, out.obs, out.action_mask, out.active);
}

}  // namespace mecrl::uncertainty
