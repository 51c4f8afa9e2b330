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

// Sums over users that the step reports (team sum, fixed tree).
enum StepSum : int { kSumDelay, kSumCapped, kSumUplink, kSumCompute, kSumCorrect, kSumOffloaded, kStepSums };

// User i's outcome into its row of the step buffers and the events; returns
// its terms of the step's sums.
MECRL_HD Sums<float, kStepSums> record_outcome(const UncertaintyParams& p, const UncertaintyState& s,
                                               const StepBuffers& out, const UncertaintyEvents& ev,
                                               const ServerLoad& v, const int32_t* act, int e, int i) {
  const UserOutcome o = user_outcome(p, s, e, i, act[i], v);
  const size_t row = static_cast<size_t>(e) * p.num_users + i;
  const float capped_s = min_of(o.delay_s, p.reward_delay_cap_s);
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
  Sums<float, kStepSums> r;
  r[kSumDelay] = o.delay_s;
  r[kSumCapped] = capped_s;
  r[kSumUplink] = o.uplink_s;
  r[kSumCompute] = o.compute_s;
  r[kSumCorrect] = o.correct ? 1.f : 0.f;
  r[kSumOffloaded] = o.offloaded ? 1.f : 0.f;
  return r;
}

// Lane 0: the snapshot's reward, cost and episode statistics.
MECRL_HD void finish_snapshot(const UncertaintyParams& p, const StepBuffers& out, int e,
                              const Sums<float, kStepSums>& sum) {
  const float inv_n = 1.f / static_cast<float>(p.num_users);
  const float reward = -1e3f * sum[kSumCapped] * inv_n;
  const float accuracy = sum[kSumCorrect] * inv_n;
  out.reward[e] = reward;
  out.costs[static_cast<size_t>(e) * kNumCosts + kCostAccuracy] = p.accuracy_target - accuracy;
  out.decisions[e] = p.num_users;
  out.terminated[e] = 1;
  out.truncated[e] = 0;
  out.ep_return[e] = reward;
  out.ep_length[e] = p.join_view ? 2 : 1;
  out.ep_costs[static_cast<size_t>(e) * kNumCosts + kCostAccuracy] = p.accuracy_target - accuracy;
  float* info = out.ep_info + static_cast<size_t>(e) * kEpisodeInfo;
  info[0] = 1e3f * sum[kSumDelay] * inv_n;
  info[1] = accuracy;
  info[2] = sum[kSumOffloaded] * inv_n;
  info[3] = 1e3f * sum[kSumUplink] * inv_n;
  info[4] = 1e3f * sum[kSumCompute] * inv_n;
}

// actions: [E, N] int32, env-major; 0 = local, j + 1 = server j (clamped to
// [0, M]). The action mask is advisory, as in gymnasium: a masked action is
// applied as given (and shows in the accuracy and in `mask_violations`).
// Join view (env.join_view): the proposal pass. The decisions only load the
// servers: no reward, no cost, nothing reported; the observation of the same
// snapshot gains the load they imply (observe.h), and the decision follows.
template <class Team>
MECRL_HD void propose(const Team& team, const UncertaintyParams& p, const UncertaintyState& s, const int32_t* act,
                      const StepBuffers& out, const UncertaintyScratch& x, int e) {
  const int n = p.num_users;
  team.for_users([&](int i) {
    const size_t row = static_cast<size_t>(e) * n + i;
    out.reward_user[row] = 0.f;
    out.costs_user[row * kNumCosts + kCostAccuracy] = 0.f;
  });
  team.single([&] {
    out.reward[e] = 0.f;
    out.costs[static_cast<size_t>(e) * kNumCosts + kCostAccuracy] = 0.f;
    out.decisions[e] = n;
    out.terminated[e] = 0;
    out.truncated[e] = 0;
  });
  observe_env(team, p, s, x, e, out.obs, out.action_mask, out.active, act);
  team.single([&] { s.pass[e] = 1; });  // after observe_env's barriers: every lane has read pass
}

template <class Team>
MECRL_HD void step_env(const Team& team, const UncertaintyParams& p, const UncertaintyState& s,
                       const int32_t* actions, const StepBuffers& out, const UncertaintyEvents& ev, int e) {
  const int n = p.num_users;
  const int32_t* act = actions + static_cast<size_t>(e) * n;
  const auto x = carve_scratch<UncertaintyScratch>(team, p.num_users, p.num_servers);
  if (p.join_view && s.pass[e] == 0) {
    propose(team, p, s, act, out, x, e);
    return;
  }
  load_of(team, p, s, e, [&](int k) { return act[k]; }, *x.load);
  const Sums<float, kStepSums> sum =
      team.sum_users([&](int i) { return record_outcome(p, s, out, ev, *x.load, act, e, i); });
  team.single([&] { finish_snapshot(p, out, e, sum); });

  // The observation does not change within a snapshot: the finished one's is
  // still in obs. Keep it (consecutive lanes copy consecutive floats), then
  // draw the next snapshot.
  const int nf = n * num_features(p.num_servers, p.join_view);
  const size_t base = static_cast<size_t>(e) * nf;
  team.for_lanes(nf, [&](int k) { out.final_obs[base + k] = out.obs[base + k]; });
  team.sync();
  reset_env(team, p, s, x, out, e);
}

}  // namespace mecrl::uncertainty
