// The heuristic policies of spec §4 as MECRL_HD functions over the state, so
// `eval` runs them on either backend: local, edge, goa (the paper's Greedy
// Offloading Algorithm), dmin and random.
//
// Every server choice is greedy on a gap computed with decision_delay_s
// (physics.h): the delay as if the user joined server j now (n_j + 1
// sharers, interference from the decisions taken so far) with the authors'
// compute estimate 8 t_SLM,i in place of t_LLM,i.
//
// actions: [E, N] int32, env-major; 0 = local, j + 1 = server j.
#pragma once

#include "core/random.h"
#include "envs/uncertainty/physics.h"

namespace mecrl::uncertainty {

enum class Baseline : int { kLocal, kEdge, kGoa, kDmin, kRandom };

// Markers in the action row while a greedy pass runs.
inline constexpr int32_t kCandidate = -1;  // may be assigned by the current pass
inline constexpr int32_t kWaiting = -2;    // not in the current pass

// One greedy pass: repeatedly assign the candidate pair (i*, j*) with the
// smallest gap w_i (d_ij - t_L,i), w_i = alpha_i (weighted) or 1, update the
// load, and go on until no candidate remains or, with stop_at_nonnegative,
// until the smallest gap is >= 0. Ties go to the lowest user, then server.
// Returns the number of users assigned.
MECRL_HD int greedy_pass(const UncertaintyParams& p, const UncertaintyState& s, int e, int32_t* act,
                         ServerLoad& v, bool weighted, bool stop_at_nonnegative) {
  const int n = p.num_users, m = p.num_servers;
  int assigned = 0;
  for (;;) {
    const JoinView w = join_view(p, s, e, v);
    int best_i = -1, best_j = -1;
    float best = 0.f;
    for (int i = 0; i < n; ++i) {
      if (act[i] != kCandidate) continue;
      const size_t u = s.l.user(e, i);
      const float weight = weighted ? s.alpha[u] : 1.f;
      const float t_local = s.local_s[u];
      for (int j = 0; j < m; ++j) {
        const float gap = weight * (decision_delay_s(p, s, e, i, j, w) - t_local);
        if (best_i < 0 || gap < best) {
          best = gap;
          best_i = i;
          best_j = j;
        }
      }
    }
    if (best_i < 0) break;                              // no candidate left
    if (stop_at_nonnegative && !(best < 0.f)) break;    // no gain remains
    act[best_i] = best_j + 1;
    join_server(p, s, e, best_i, best_j, v);
    ++assigned;
  }
  return assigned;
}

// Users still marked after the passes run locally.
MECRL_HD void unassigned_to_local(int n, int32_t* act) {
  for (int i = 0; i < n; ++i) act[i] = act[i] < 0 ? 0 : act[i];
}

// GOA (spec §4). Step 1: while users with alpha > tau remain, assign the
// pair argmin delta_ij among them, delta_ij = alpha_i (d_ij - t_L,i).
// Step 2: among the rest, assign argmin delta_ij while it is negative.
MECRL_HD void goa_actions(const UncertaintyParams& p, const UncertaintyState& s, int e, int32_t* act) {
  const int n = p.num_users;
  ServerLoad v;
  clear_load(p, v);
  for (int i = 0; i < n; ++i) act[i] = must_offload(p, s.alpha[s.l.user(e, i)]) ? kCandidate : kWaiting;
  greedy_pass(p, s, e, act, v, /*weighted=*/true, /*stop_at_nonnegative=*/false);
  for (int i = 0; i < n; ++i) act[i] = act[i] == kWaiting ? kCandidate : act[i];
  greedy_pass(p, s, e, act, v, /*weighted=*/true, /*stop_at_nonnegative=*/true);
  unassigned_to_local(n, act);
}

// edge: everybody offloads; pairs chosen greedily by the weighted gap.
MECRL_HD void edge_actions(const UncertaintyParams& p, const UncertaintyState& s, int e, int32_t* act) {
  ServerLoad v;
  clear_load(p, v);
  for (int i = 0; i < p.num_users; ++i) act[i] = kCandidate;
  greedy_pass(p, s, e, act, v, /*weighted=*/true, /*stop_at_nonnegative=*/false);
}

// dmin: GOA's step 2 on the unweighted gap d_ij - t_L,i, no mandatory step.
MECRL_HD void dmin_actions(const UncertaintyParams& p, const UncertaintyState& s, int e, int32_t* act) {
  ServerLoad v;
  clear_load(p, v);
  for (int i = 0; i < p.num_users; ++i) act[i] = kCandidate;
  greedy_pass(p, s, e, act, v, /*weighted=*/false, /*stop_at_nonnegative=*/true);
  unassigned_to_local(p.num_users, act);
}

// random: as many offloaders as GOA chose, a uniformly random subset of that
// size (selection sampling, Knuth's algorithm S: exactly K of N, each subset
// equally likely, one uniform per user), placed greedily by the unweighted
// gap in the same pair-by-pair way as `edge`.
MECRL_HD void random_actions(const UncertaintyParams& p, const UncertaintyState& s, int e, int32_t* act) {
  const int n = p.num_users;
  goa_actions(p, s, e, act);
  int k = 0;
  for (int i = 0; i < n; ++i) k += act[i] > 0 ? 1 : 0;
  Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, s.drawn[e] - 1u, kStreamPolicy, 0u);
  int chosen = 0;
  for (int i = 0; i < n; ++i) {
    const bool take = r.uniform() * static_cast<float>(n - i) < static_cast<float>(k - chosen);
    act[i] = take ? kCandidate : kWaiting;
    chosen += take ? 1 : 0;
  }
  ServerLoad v;
  clear_load(p, v);
  greedy_pass(p, s, e, act, v, /*weighted=*/false, /*stop_at_nonnegative=*/false);
  unassigned_to_local(n, act);
}

// Writes env e's actions into actions + e N.
MECRL_HD void baseline_actions(Baseline b, const UncertaintyParams& p, const UncertaintyState& s, int e,
                               int32_t* actions) {
  int32_t* act = actions + static_cast<size_t>(e) * p.num_users;
  switch (b) {
    case Baseline::kLocal:
      for (int i = 0; i < p.num_users; ++i) act[i] = 0;
      break;
    case Baseline::kEdge: edge_actions(p, s, e, act); break;
    case Baseline::kGoa: goa_actions(p, s, e, act); break;
    case Baseline::kDmin: dmin_actions(p, s, e, act); break;
    case Baseline::kRandom: random_actions(p, s, e, act); break;
  }
}

}  // namespace mecrl::uncertainty
