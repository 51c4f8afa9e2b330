// The one step of a snapshot (spec §2): apply one decision per user,
// compute every user's delay and correctness, reward = -(mean delay, ms; each
// user's delay clipped at env.reward_delay_cap_s, metrics unclipped),
// terminate, and auto-reset (gymnasium SAME_STEP: final_obs keeps the
// finished snapshot's observation, obs already holds the next one's).
#pragma once

#include "envs/uncertainty/reset.h"

namespace mecrl::uncertainty {

// Reported outcome of user i under the decisions whose load is `v`:
// local t_L,i, or D_i / R_ij + t_LLM,i / (C_j / C_ref) with n_j sharers.
struct UserOutcome {
  float delay_s, uplink_s, compute_s;
  bool offloaded, correct;
};

MECRL_HD UserOutcome user_outcome(const UncertaintyParams& p, const UncertaintyState& s, int e, int i, int action,
                                  const ServerLoad& v) {
  const size_t u = s.l.user(e, i);
  const int a = clamp_to(action, 0, p.num_servers);
  if (a == 0) return UserOutcome{s.local_s[u], 0.f, 0.f, false, s.slm_correct[u] != 0};
  const int j = a - 1;
  const LinkTerms t = link_terms(p, s, e, j, v.n[j], v.interference_w[j]);
  const OffloadDelay d = offload_delay(p, s, e, i, j, t, s.llm_s[u]);
  return UserOutcome{d.uplink_s + d.compute_s, d.uplink_s, d.compute_s, true, s.llm_correct[u] != 0};
}

// actions: [E, N] int32, env-major; 0 = local, j + 1 = server j (clamped to
// [0, M]). The action mask is advisory, as in gymnasium: a masked action is
// applied as given (and shows in the accuracy and in `mask_violations`).
MECRL_HD void step_env(const UncertaintyParams& p, const UncertaintyState& s, const int32_t* actions,
                       const StepBuffers& out, const UncertaintyEvents& ev, int e) {
  const int n = p.num_users;
  const int32_t* act = actions + static_cast<size_t>(e) * n;
  const ServerLoad v = load_of(p, s, e, act);
  float delay_sum = 0.f, capped_sum = 0.f, uplink_sum = 0.f, compute_sum = 0.f, correct = 0.f, offloaded = 0.f;
  for (int i = 0; i < n; ++i) {
    const UserOutcome o = user_outcome(p, s, e, i, act[i], v);
    const size_t row = static_cast<size_t>(e) * n + i;
    const float capped_s = min_of(o.delay_s, p.reward_delay_cap_s);
    delay_sum += o.delay_s;
    capped_sum += capped_s;
    uplink_sum += o.uplink_s;
    compute_sum += o.compute_s;
    correct += o.correct ? 1.f : 0.f;
    offloaded += o.offloaded ? 1.f : 0.f;
    out.reward_user[row] = -1e3f * capped_s;
    out.costs_user[row * kNumCosts + kCostAccuracy] = p.accuracy_target - (o.correct ? 1.f : 0.f);
    if (ev.delay_s) {
      ev.delay_s[row] = o.delay_s;
      ev.uplink_s[row] = o.uplink_s;
      ev.compute_s[row] = o.compute_s;
      ev.offloaded[row] = o.offloaded ? 1 : 0;
      ev.correct[row] = o.correct ? 1 : 0;
      ev.mandatory[row] = must_offload(p, s.alpha[s.l.user(e, i)]) ? 1 : 0;
    }
  }
  const float inv_n = 1.f / static_cast<float>(n);
  const float reward = -1e3f * capped_sum * inv_n;
  const float accuracy = correct * inv_n;
  out.reward[e] = reward;
  out.costs[static_cast<size_t>(e) * kNumCosts + kCostAccuracy] = p.accuracy_target - accuracy;
  out.decisions[e] = n;
  out.terminated[e] = 1;
  out.truncated[e] = 0;
  out.ep_return[e] = reward;
  out.ep_length[e] = 1;
  out.ep_costs[static_cast<size_t>(e) * kNumCosts + kCostAccuracy] = p.accuracy_target - accuracy;
  float* info = out.ep_info + static_cast<size_t>(e) * kEpisodeInfo;
  info[0] = 1e3f * delay_sum * inv_n;
  info[1] = accuracy;
  info[2] = offloaded * inv_n;
  info[3] = 1e3f * uplink_sum * inv_n;
  info[4] = 1e3f * compute_sum * inv_n;

  // The observation does not change within a snapshot: the finished one's is
  // still in obs. Keep it, then draw the next snapshot.
  const size_t f = static_cast<size_t>(num_features(p.num_servers));
  const size_t base = static_cast<size_t>(e) * n * f;
  for (size_t k = 0; k < static_cast<size_t>(n) * f; ++k) out.final_obs[base + k] = out.obs[base + k];
  reset_env(p, s, out, e);
}

}  // namespace mecrl::uncertainty
