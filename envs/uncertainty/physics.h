// Closed forms of the uncertainty scenario (spec §1). Pure MECRL_HD
// functions over one env: the step, the baselines, the observation, the
// tests and the benchmarks all call these, on either backend.
#pragma once

#include "core/hdmath.h"
#include "core/team.h"
#include "envs/uncertainty/state.h"

namespace mecrl::uncertainty {

// Free-space amplitude gain c / (4 pi f d), d clipped below at d_min (spec §3:
// closer than that the far-field formula is meaningless).
MECRL_HD float free_space_amplitude(const UncertaintyParams& p, float d_m) {
  return kSpeedOfLight / (4.f * hd::kPi * p.carrier_hz * max_of(d_m, p.min_distance_m));
}

// Equal split of a server's band among its `sharers` users, Hz.
MECRL_HD float bandwidth_share_hz(float bandwidth_hz, int sharers) {
  return bandwidth_hz / static_cast<float>(max_of(sharers, 1));
}

// Shannon rate on a band of `share_hz`: R = share_hz log2(1 + SINR), bit/s.
MECRL_HD float shannon_rate_bps(float share_hz, float sinr) { return share_hz * hd::log2_1p_f(sinr); }

// Compute share of one of `sharers` users of a server: min(C_max, C_ES / n).
MECRL_HD float compute_share_flops(const UncertaintyParams& p, float server_flops, int sharers) {
  return min_of(p.server_cap_flops, server_flops / static_cast<float>(max_of(sharers, 1)));
}

// Load of every server implied by a set of decisions: users per server n_j,
// and the interference each server receives, sum of P |h_kj|^2 over the
// users k that offload to another server (spec §1: every server reuses the
// whole band, so another cell's user is heard at its full power P, whatever
// slice of its own server's band it holds; users of the same server are
// orthogonal and do not interfere).
struct ServerLoad {
  int n[kMaxServers];
  float interference_w[kMaxServers];
};

MECRL_HD void clear_load(const UncertaintyParams& p, ServerLoad& v) {
  for (int j = 0; j < p.num_servers; ++j) {
    v.n[j] = 0;
    v.interference_w[j] = 0.f;
  }
}

// User k joins server j: one more sharer at j, interference at every other server.
MECRL_HD void join_server(const UncertaintyParams& p, const UncertaintyState& s, int e, int k, int j,
                          ServerLoad& v) {
  v.n[j] += 1;
  for (int jj = 0; jj < p.num_servers; ++jj) {
    if (jj != j) v.interference_w[jj] += p.tx_power_w * s.gain[s.l.pair(e, k, jj)];
  }
}

// The load of env e's decisions, action(k) for user k (0 = local, j + 1 =
// server j, clamped), into v (team scratch), by team reductions
// (core/team.h): users per server counted, interference per server summed in
// the fixed tree.
template <class Team, class Action>
MECRL_HD void load_of(const Team& team, const UncertaintyParams& p, const UncertaintyState& s, int e,
                      const Action& action, ServerLoad& v) {
  const int m = p.num_servers;
  team.histogram([&](int k) { return clamp_to(static_cast<int>(action(k)), 0, m) - 1; }, m, v.n);
  for (int jj = 0; jj < m; ++jj) {
    const float w = team.sum_users([&](int k) {
      const int a = clamp_to(static_cast<int>(action(k)), 0, m);
      return a > 0 && a - 1 != jj ? p.tx_power_w * s.gain[s.l.pair(e, k, jj)] : 0.f;
    });
    team.single([&] { v.interference_w[jj] = w; });
  }
  team.sync();
}

// What a user sees at server j when j has `sharers` users (itself included)
// and receives `interference_w`: its band B / n_j, the interference plus
// noise power, and its compute speed-up C_j / C_ref.
struct LinkTerms {
  float share_hz;
  float interference_noise_w;
  float speedup;
};

MECRL_HD LinkTerms link_terms(const UncertaintyParams& p, const UncertaintyState& s, int e, int j, int sharers,
                              float interference_w) {
  const float share = compute_share_flops(p, s.server_flops[s.l.server(e, j)], sharers);
  return LinkTerms{bandwidth_share_hz(p.bandwidth_hz, sharers), interference_w + p.d.noise_w, share / p.ref_flops};
}

// What user i sees at server j if it moves there from `from` (0 = local,
// k + 1 = server k) in a load of sharers_j users and interference_j W that
// count it where it is: one more sharer unless it is there already, and its
// own signal (heard at j while it offloads elsewhere) no interference at j.
MECRL_HD LinkTerms moved_terms(const UncertaintyParams& p, const UncertaintyState& s, int e, int i, int j, int from,
                               int sharers_j, float interference_j) {
  if (from == j + 1) return link_terms(p, s, e, j, sharers_j, interference_j);
  const float own_w = from > 0 ? p.tx_power_w * s.gain[s.l.pair(e, i, j)] : 0.f;
  return link_terms(p, s, e, j, sharers_j + 1, max_of(interference_j - own_w, 0.f));
}

// SINR of user i at server j: P |h_ij|^2 / (interference + sigma^2).
MECRL_HD float link_sinr(const UncertaintyParams& p, const UncertaintyState& s, int e, int i, int j,
                         const LinkTerms& t) {
  return p.tx_power_w * s.gain[s.l.pair(e, i, j)] / t.interference_noise_w;
}

// Offloading delay of user i at server j, in its two parts:
// D_i / R_ij + work_ref_s / (C_j / C_ref), R_ij = (B / n_j) log2(1 + SINR_ij).
// work_ref_s is t_LLM,i for the reported delay, 8 t_SLM,i for decisions.
struct OffloadDelay {
  float uplink_s;
  float compute_s;
};

MECRL_HD OffloadDelay offload_delay(const UncertaintyParams& p, const UncertaintyState& s, int e, int i, int j,
                                    const LinkTerms& t, float work_ref_s) {
  const float rate = shannon_rate_bps(t.share_hz, link_sinr(p, s, e, i, j, t));
  return OffloadDelay{s.payload_bits[s.l.user(e, i)] / rate, work_ref_s / t.speedup};
}

// The terms a newcomer would see at every server (spec §4: as if it joined
// j now, n_j + 1 sharers, interference from the current decisions).
struct JoinView {
  LinkTerms t[kMaxServers];
};

MECRL_HD JoinView join_view(const UncertaintyParams& p, const UncertaintyState& s, int e, const ServerLoad& v) {
  JoinView w;
  for (int j = 0; j < p.num_servers; ++j) w.t[j] = link_terms(p, s, e, j, v.n[j] + 1, v.interference_w[j]);
  return w;
}

// The delay the baselines decide with: the join view and the authors'
// compute estimate decision_llm_ratio * t_SLM,i in place of t_LLM,i.
MECRL_HD float decision_delay_s(const UncertaintyParams& p, const UncertaintyState& s, int e, int i, int j,
                                const JoinView& w) {
  const OffloadDelay d = offload_delay(p, s, e, i, j, w.t[j], p.decision_llm_ratio * s.slm_s[s.l.user(e, i)]);
  return d.uplink_s + d.compute_s;
}

// Probability that the SLM answers correctly: clip(a - b alpha, 0, 1) (spec §3).
MECRL_HD float slm_correct_prob(const UncertaintyParams& p, float alpha) {
  return clamp_to(p.slm_acc_intercept - p.slm_acc_slope * alpha, 0.f, 1.f);
}

// The accuracy rule: alpha > tau must be offloaded (tau = 1 disables it).
MECRL_HD bool must_offload(const UncertaintyParams& p, float alpha) { return alpha > p.tau; }

}  // namespace mecrl::uncertainty
