// One slot of one cell: spec §3 steps 1-9, in order, then the auto-reset.
//
// Team code (core/team.h): each numbered step is a function of (env, user)
// run on the user's lane, returning its user's part of what the team then
// combines; what couples users is computed by team operations, in a fixed
// order on both backends:
//   uploaders, batch exits per server                     histogram (exact)
//   FIFO rank of this slot's joiners                      compact them, then each ranks itself
//                                                         among them; a lane per server counts them
//   context / decoding / prefill sums per server          sum_users (fixed tree)
//   in-flight time, energy over budget, decisions,        sum_users (fixed tree; counts are
//   arrivals                                              integer-valued floats: exact)
//   running accuracy / hallucination, episode sums,       lane 0 folds the completions in the
//   accuracy and hallucination costs                      order the spec's loop meets them
// Times inside a slot are offsets in [0, dt] from the slot start; a query's
// absolute time is (slot * dt + offset), so latencies stay exact in float over
// long episodes.
#pragma once

#include "envs/offload/reset.h"

namespace mecrl::offload {

// §5: a query's chance of a correct and of a hallucinated answer: server
// answers use the full model's acc/hal, local ones depend on its u.
struct QualityProbs {
  float correct, hallucinated;
};

MECRL_HD QualityProbs quality_probs(const OffloadParams& p, const OffloadState& s, size_t u) {
  const int c = s.qclass[u];
  if (s.target[u] > 0) {
    const ModelRow& m = p.server_model[s.target[u] - 1];
    return QualityProbs{m.acc[c], m.hal};
  }
  return QualityProbs{local_correct_prob(p, c, s.uncertainty[u]), p.device_model.hal};
}

// What every phase of one env's slot works with: parameters, state,
// outputs, events and team scratch, the env and its slot and clock.
struct Slot {
  const OffloadParams& p;
  const OffloadState& s;
  const StepBuffers& out;
  const OffloadEvents& ev;
  const OffloadScratch& x;
  int e;           // env
  int t;           // slot inside the episode
  uint32_t clock;  // slots since creation (RNG counter)
};

// Step 6: user i's query completes at offset `at_s` into the slot. `stage`
// (kDoneEarly or kDoneServer) orders it for the cell's fold.
MECRL_HD void complete_query(const Slot& c, int i, float at_s, uint8_t stage) {
  const OffloadParams& p = c.p;
  const OffloadState& s = c.s;
  const OffloadEvents& ev = c.ev;
  const OffloadScratch& x = c.x;
  const int e = c.e, t = c.t;
  const size_t u = s.l.user(e, i);
  const float latency = static_cast<float>(t - s.arrival_slot[u]) * p.dt_s + (at_s - s.arrival_off_s[u]);
  const bool offloaded = s.target[u] > 0;
  const QualityProbs q = quality_probs(p, s, u);
  Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, c.clock, kStreamQuality, static_cast<uint32_t>(i));
  const float correct = r.bernoulli(q.correct) ? 1.f : 0.f;
  const float hallucinated = r.bernoulli(q.hallucinated) ? 1.f : 0.f;
  uint8_t charged = 0;
  if (!p.quality_cost_at_decision) {  // spec §4: outcomes charged at completion
    x.charge_acc[i] = p.acc_min - correct;
    x.charge_hal[i] = hallucinated - p.hal_max;
    charged = kCharged;
  }
  x.latency_s[i] = latency;
  x.flags[i] |= stage | charged | (correct > 0.f ? kCorrect : 0) | (hallucinated > 0.f ? kHallucinated : 0) |
                (offloaded ? kOffloaded : 0);
  if (ev.done) {
    const size_t o = static_cast<size_t>(e) * p.num_users + i;
    ev.done[o] = 1;
    ev.offloaded[o] = offloaded ? 1 : 0;
    ev.correct[o] = correct > 0.f ? 1 : 0;
    ev.hallucinated[o] = hallucinated > 0.f ? 1 : 0;
    ev.latency_s[o] = latency;
    ev.ttft_s[o] = s.ttft_s[u];
    ev.device_energy_j[o] = s.query_energy_j[u];
    ev.server_energy_j[o] = s.server_energy_j[u];
  }
  s.phase[u] = kIdle;
  s.work[u] = 0.f;
  x.free_at_s[i] = at_s;
}

// ---- 1. Decisions: a user in `decide` applies its action (and the slot's
// scratch of every user starts empty). Returns the server the user uploads
// to now, or -1 (the team counts uploaders per server).
MECRL_HD int decide(const Slot& c, const int32_t* actions, int i) {
  const OffloadParams& p = c.p;
  const OffloadState& s = c.s;
  const OffloadScratch& x = c.x;
  const int e = c.e, t = c.t;
  const size_t u = s.l.user(e, i);
  const uint8_t ph = s.phase[u];
  x.free_at_s[i] = ph == kIdle ? 0.f : -1.f;
  x.join_s[i] = -1.f;
  x.energy_j[i] = 0.f;
  x.flags[i] = 0;
  if (c.ev.done) c.ev.done[static_cast<size_t>(e) * p.num_users + i] = 0;
  if (ph != kDecide) return ph == kUpload ? s.target[u] - 1 : -1;
  const int a = clamp_to(actions[static_cast<size_t>(e) * p.num_users + i], 0, p.num_servers);
  const int kind = s.device_kind[u];
  x.flags[i] = kDecided;
  s.query_energy_j[u] = 0.f;
  s.server_energy_j[u] = 0.f;
  s.target[u] = static_cast<uint8_t>(a);
  if (p.quality_cost_at_decision) {  // the expectation of §4's costs, charged now
    const QualityProbs q = quality_probs(p, s, u);
    x.charge_acc[i] = p.acc_min - q.correct;
    x.charge_hal[i] = q.hallucinated - p.hal_max;
    x.flags[i] |= kCharged;
  }
  if (a == 0) {
    s.phase[u] = kLocal;
    const float prefill_s = s.prompt_tokens[u] * p.d.device_prefill_s[kind];
    s.work[u] = prefill_s + s.output_tokens[u] * p.d.device_token_s[kind];
    // §10.7: local TTFT = decision instant + L_in t_pre - arrival.
    s.ttft_s[u] = static_cast<float>(t - s.arrival_slot[u]) * p.dt_s - s.arrival_off_s[u] + prefill_s;
  } else {
    s.phase[u] = kUpload;
    s.work[u] = s.payload_bits[u];
    s.ttft_s[u] = -1.f;
  }
  return a - 1;
}

// ---- 2. Local compute, 3. uplink, 5. downlink carried over from last slot.
// Returns true if the user's prompt reached its server (it joins the queue).
MECRL_HD bool advance(const Slot& c, int i) {
  const OffloadParams& p = c.p;
  const OffloadState& s = c.s;
  const OffloadScratch& x = c.x;
  const int e = c.e;
  const float dt = p.dt_s;
  const size_t u = s.l.user(e, i);
  const uint8_t ph = s.phase[u];
  if (ph == kLocal) {
    const float w = s.work[u];
    const float run = min_of(w, dt);
    const float joules = p.device[s.device_kind[u]].active_power_w * run;
    x.energy_j[i] += joules;
    s.query_energy_j[u] += joules;
    if (w <= dt) {
      complete_query(c, i, w, kDoneEarly);
    } else {
      s.work[u] = w - dt;
    }
  } else if (ph == kUpload) {
    // n_j counted at slot start after decisions; no redistribution (§10.5).
    const int j = s.target[u] - 1;
    const float rate = uplink_rate_bps(p.bandwidth_hz, x.uploaders[j], p.tx_power_w, channel_gain(s, e, i, j),
                                       p.d.noise_w_per_hz);
    const float bits = s.work[u];
    if (bits <= rate * dt) {
      const float tx_s = bits / rate;
      x.energy_j[i] += p.tx_power_w * tx_s;
      s.query_energy_j[u] += p.tx_power_w * tx_s;
      s.work[u] = 0.f;
      s.phase[u] = kServer;
      s.iters_done[u] = 0.f;
      x.join_s[i] = tx_s;
      return true;
    } else {
      s.work[u] = bits - rate * dt;
      x.energy_j[i] += p.tx_power_w * dt;
      s.query_energy_j[u] += p.tx_power_w * dt;
    }
  } else if (ph == kDownlink) {
    const float w = s.work[u];
    if (w <= dt) {
      complete_query(c, i, w, kDoneEarly);
    } else {
      s.work[u] = w - dt;
    }
  }
  return false;
}

// ---- 4a. Queue join: prompts that arrived this slot get FIFO tickets in
// the order of their arrival instants (ties by user index). Only this slot's
// joiners (join_list[0, joiners)) can be ahead of joiner i.
MECRL_HD void join_queue(const OffloadState& s, const OffloadScratch& x, int e, int i, int joiners) {
  const float at = x.join_s[i];
  const size_t u = s.l.user(e, i);
  const uint8_t target = s.target[u];
  int rank = 0;
  for (int k = 0; k < joiners; ++k) {
    const int v = x.join_list[k];
    const float bt = x.join_s[v];
    if (s.target[s.l.user(e, v)] == target && (bt < at || (bt == at && v < i))) ++rank;
  }
  s.ticket[u] = s.next_ticket[s.l.server(e, target - 1)] + rank;
}

// ---- 4b. Batch admission of server j at the boundary: this slot's joiners
// take the next tickets, free places go to the earliest tickets (continuous
// batching, FIFO, no preemption).
MECRL_HD void admit(const OffloadParams& p, const OffloadState& s, const OffloadScratch& x, int e, int j,
                    int joiners) {
  const size_t k = s.l.server(e, j);
  int joined = 0;
  for (int q = 0; q < joiners; ++q) joined += s.target[s.l.user(e, x.join_list[q])] == j + 1 ? 1 : 0;
  s.next_ticket[k] += joined;
  const int admitted = min_of(p.d.max_batch[j] - s.n_active[k], s.next_ticket[k] - s.next_active[k]);
  if (admitted > 0) {
    s.next_active[k] += admitted;
    s.n_active[k] += admitted;
  }
  x.batch[j] = s.n_active[k];
}

// ---- 4c. User i's share of server j's iteration (§10.6): context
// c = L_in + tokens decoded so far; a prefill chunk pays its tokens.
// {context tokens, decoding queries, prefill tokens}; zero unless in j's batch.
MECRL_HD Sums<float, 3> batch_load(const OffloadParams& p, const OffloadState& s, int e, int i, int j) {
  Sums<float, 3> r;
  const size_t u = s.l.user(e, i);
  if (s.phase[u] != kServer || s.target[u] != j + 1) return r;
  if (s.ticket[u] >= s.next_active[s.l.server(e, j)]) return r;  // still queued
  const float n_pre = static_cast<float>(prefill_iterations(p, s.prompt_tokens[u]));
  if (s.iters_done[u] < n_pre) {
    r[0] = s.prompt_tokens[u];
    r[2] = s.prompt_tokens[u] / n_pre;
  } else {
    r[0] = s.prompt_tokens[u] + (s.iters_done[u] - n_pre);
    r[1] = 1.f;
  }
  return r;
}

// Server j's iteration time, fixed over the slot.
MECRL_HD void set_iteration_time(const OffloadParams& p, const OffloadState& s, const OffloadEvents& ev,
                                 const OffloadScratch& x, int e, int j, const Sums<float, 3>& load) {
  const size_t k = s.l.server(e, j);
  if (x.batch[j] > 0) {
    s.iter_time_s[k] = iteration_time_s(p, p.server_model[j], p.server_gpu[j], load[0], load[1], load[2]);
  }
  x.iter_s[j] = s.iter_time_s[k];
  s.batch_last[k] = static_cast<float>(x.batch[j]);
  if (ev.server_batch) ev.server_batch[static_cast<size_t>(e) * p.num_servers + j] = static_cast<float>(x.batch[j]);
}

// ---- 4d. Decoding progress (fluid within the slot), TTFT, 5. downlink.
// Returns where the user counts at the slot's end: j if its query left
// server j's batch, M + j if it is still uploading to server j (steps 7-9
// start no upload), else -1.
MECRL_HD int serve(const Slot& c, int i) {
  const OffloadParams& p = c.p;
  const OffloadState& s = c.s;
  const OffloadScratch& x = c.x;
  const int e = c.e, t = c.t;
  const float dt = p.dt_s;
  const size_t u = s.l.user(e, i);
  const int j = s.target[u] - 1;
  if (s.phase[u] != kServer) return s.phase[u] == kUpload ? p.num_servers + j : -1;
  if (s.ticket[u] >= s.next_active[s.l.server(e, j)]) return -1;  // still queued
  const float iter_s = x.iter_s[j];
  const float start = x.join_s[i] >= 0.f ? x.join_s[i] : 0.f;
  const float avail = dt - start;
  const float gain = avail / iter_s;
  const float n_pre = static_cast<float>(prefill_iterations(p, s.prompt_tokens[u]));
  const float need = n_pre + s.output_tokens[u];
  const float done = s.iters_done[u];
  const float arrival_abs = static_cast<float>(t - s.arrival_slot[u]) * dt - s.arrival_off_s[u];
  if (done < n_pre && done + gain >= n_pre) {  // §10.7: prefill end + downlink - arrival
    s.ttft_s[u] = arrival_abs + start + (n_pre - done) * iter_s + p.downlink_s;
  }
  if (done + gain >= need) {
    const float finish = start + (need - done) * iter_s;
    s.server_energy_j[u] += server_energy_j(p, p.server_gpu[j], finish - start, x.batch[j]);
    const float answer_at = finish + p.downlink_s;
    if (answer_at <= dt) {
      complete_query(c, i, answer_at, kDoneServer);
    } else {
      s.phase[u] = kDownlink;
      s.work[u] = answer_at - dt;
    }
    return j;
  }
  s.iters_done[u] = done + gain;
  s.server_energy_j[u] += server_energy_j(p, p.server_gpu[j], avail, x.batch[j]);
  return -1;
}

// The cell's sums over users at the slot's end (integer-valued ones are
// exact in float).
enum ClosedSum : int { kSumInflight, kSumOverBudget, kSumArrived, kSumDecided, kClosedSums };

// ---- 8. Channel: user i's fading to every server moves one slot on,
// g <- rho g + sqrt(1 - rho^2) w, w ~ CN(0, 1); fade_w = sqrt((1 - rho^2) / 2).
// A phase of its own: it touches nothing else, and the Philox rounds then
// run without the rest of the slot's values live around them.
MECRL_HD void fade_channels(const Slot& c, int i, float fade_w) {
  const OffloadParams& p = c.p;
  const OffloadState& s = c.s;
  const int m = p.num_servers;
  for (int j = 0; j < m; ++j) {
    const size_t k = s.l.pair(c.e, i, j);
    Rng r(p.seed, static_cast<uint32_t>(c.e) + p.first_env, c.clock, kStreamFading, static_cast<uint32_t>(i * m + j));
    float w0, w1;
    r.normal2(w0, w1);
    s.fade_re[k] = p.fading_rho * s.fade_re[k] + fade_w * w0;
    s.fade_im[k] = p.fading_rho * s.fade_im[k] + fade_w * w1;
  }
}

// ---- 7. Arrivals, 9. user i's reward and costs. Returns the user's terms
// of the cell's sums (ClosedSum).
MECRL_HD Sums<float, kClosedSums> close_slot(const Slot& c, int i) {
  const OffloadParams& p = c.p;
  const OffloadState& s = c.s;
  const OffloadScratch& x = c.x;
  const int e = c.e, t = c.t;
  const uint32_t clock = c.clock;
  const int n = p.num_users;
  const float dt = p.dt_s;
  const size_t u = s.l.user(e, i);
  const float free_at = x.free_at_s[i];
  float inflight = free_at < 0.f ? dt : free_at;  // busy all slot, or until completion
  float arrived = 0.f;
  if (s.phase[u] == kIdle) {
    // A user idle for (dt - free_at) seconds issues a query with
    // probability (dt - free_at) / think_time, uniformly in that interval.
    Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, clock, kStreamArrival, static_cast<uint32_t>(i));
    const float idle_s = dt - free_at;
    if (r.uniform() < idle_s / p.think_time_s) {
      const float at = free_at + r.uniform() * idle_s;
      Rng q(p.seed, static_cast<uint32_t>(e) + p.first_env, clock, kStreamQuery, static_cast<uint32_t>(i));
      draw_query(p, s, e, i, q);
      s.phase[u] = kDecide;
      s.arrival_slot[u] = t;
      s.arrival_off_s[u] = at;
      s.ttft_s[u] = -1.f;
      arrived = 1.f;
      inflight += dt - at;
    }
  }
  const float joules = x.energy_j[i];
  const float over = joules - p.energy_budget_w * dt;
  s.deficit_j[u] = max_of(s.deficit_j[u] + over, 0.f);
  s.energy_used_j[u] += joules;
  const size_t row = static_cast<size_t>(e) * n + i;
  c.out.reward_user[row] = -inflight;
  float* own = c.out.costs_user + row * kNumCosts;
  const bool charged = (x.flags[i] & kCharged) != 0;
  own[kCostEnergy] = over;
  own[kCostAccuracy] = charged ? x.charge_acc[i] : 0.f;
  own[kCostHallucination] = charged ? x.charge_hal[i] : 0.f;
  if (c.ev.user_energy_j) c.ev.user_energy_j[row] = joules;
  Sums<float, kClosedSums> r;
  r[kSumInflight] = inflight;
  r[kSumOverBudget] = over;
  r[kSumArrived] = arrived;
  r[kSumDecided] = (x.flags[i] & kDecided) ? 1.f : 0.f;
  return r;
}

// Lane 0: the cell's running quality averages, episode sums and quality
// costs, folded over this slot's charges and completions in the order of the
// spec's loop: users ascending, the completions of steps 2-5 before those of
// step 4d (done_list holds both kinds, ascending). Returns the
// {accuracy, hallucination} cost sums.
MECRL_HD Sums<float, 2> fold_completions(const OffloadParams& p, const OffloadState& s, const OffloadScratch& x,
                                         int e, int done, int decided) {
  Sums<float, 2> cost;
  for (int k = 0; k < decided; ++k) {  // charged at the decision (quality_cost_at_decision)
    cost[0] += x.charge_acc[x.decide_list[k]];
    cost[1] += x.charge_hal[x.decide_list[k]];
  }
  const float w = 1.f / p.quality_window;
  for (int pass = 0; pass < 2 * done; ++pass) {
    const int i = x.done_list[pass % done];
    const uint8_t f = x.flags[i];
    if ((f & (pass < done ? kDoneEarly : kDoneServer)) == 0) continue;
    const float correct = (f & kCorrect) ? 1.f : 0.f;
    const float hallucinated = (f & kHallucinated) ? 1.f : 0.f;
    if (!p.quality_cost_at_decision) {
      cost[0] += x.charge_acc[i];
      cost[1] += x.charge_hal[i];
    }
    s.acc_ema[e] += w * (correct - s.acc_ema[e]);
    s.hal_ema[e] += w * (hallucinated - s.hal_ema[e]);
    s.ep_latency_sum_s[e] += x.latency_s[i];
    s.ep_completions[e] += 1;
    s.ep_correct[e] += correct;
    s.ep_hallucinated[e] += hallucinated;
    s.ep_offloaded[e] += (f & kOffloaded) ? 1.f : 0.f;
    s.completed[e] += 1u;
  }
  return cost;
}

// Lane 0: the cell's reward, costs and clocks. slot = close_slot summed over
// users, quality = fold_completions.
MECRL_HD void finish_slot(const OffloadParams& p, const OffloadState& s, const StepBuffers& out, int e, int t,
                          uint32_t clock, const Sums<float, kClosedSums>& slot, const Sums<float, 2>& quality) {
  const float inv_n = 1.f / static_cast<float>(p.num_users);
  const float reward = -slot[kSumInflight] * inv_n;
  float* costs = out.costs + static_cast<size_t>(e) * kNumCosts;
  costs[kCostEnergy] = slot[kSumOverBudget] * inv_n;
  costs[kCostAccuracy] = quality[0] * inv_n;
  costs[kCostHallucination] = quality[1] * inv_n;
  out.reward[e] = reward;
  out.decisions[e] = static_cast<int32_t>(slot[kSumDecided]);
  s.issued[e] += static_cast<uint32_t>(slot[kSumArrived]);
  s.ep_return[e] += reward;
  for (int c = 0; c < kNumCosts; ++c) s.ep_costs[static_cast<size_t>(e) * kNumCosts + c] += costs[c];
  s.t[e] = t + 1;
  s.clock[e] = clock + 1u;
  out.terminated[e] = 0;
}

// Lane 0: the finished episode's statistics (in_flight: queries cut by the reset).
MECRL_HD void finish_episode(const OffloadParams& p, const OffloadState& s, const StepBuffers& out, int e, int t,
                             float used_j, int in_flight) {
  out.truncated[e] = 1;
  out.ep_return[e] = s.ep_return[e];
  out.ep_length[e] = t + 1;
  for (int c = 0; c < kNumCosts; ++c) {
    out.ep_costs[static_cast<size_t>(e) * kNumCosts + c] = s.ep_costs[static_cast<size_t>(e) * kNumCosts + c];
  }
  const float done_q = max_of(static_cast<float>(s.ep_completions[e]), 1.f);
  float* info = out.ep_info + static_cast<size_t>(e) * kEpisodeInfo;
  info[0] = s.ep_latency_sum_s[e] / done_q;
  info[1] = static_cast<float>(s.ep_completions[e]);
  info[2] = s.ep_correct[e] / done_q;
  info[3] = s.ep_hallucinated[e] / done_q;
  info[4] = s.ep_offloaded[e] / done_q;
  info[5] = used_j * (1.f / static_cast<float>(p.num_users)) / (static_cast<float>(t + 1) * p.dt_s);
  info[6] = static_cast<float>(in_flight);
}

template <class Team>
MECRL_HD void step_env(const Team& team, const OffloadParams& p, const OffloadState& s, const int32_t* actions,
                       const StepBuffers& out, const OffloadEvents& ev, int e) {
  const int m = p.num_servers;
  const int t = s.t[e];
  const uint32_t clock = s.clock[e];
  const auto x = carve_scratch<OffloadScratch>(team, p.num_users, p.num_servers);
  const Slot slot{p, s, out, ev, x, e, t, clock};
  team.histogram([&](int i) { return decide(slot, actions, i); }, m, x.uploaders);

  const int joiners = team.compact([&](int i) { return advance(slot, i); }, x.join_list);
  team.for_lanes(joiners, [&](int k) { join_queue(s, x, e, x.join_list[k], joiners); });
  team.sync();  // every joiner has read next_ticket before admit moves it
  team.for_lanes(m, [&](int j) { admit(p, s, x, e, j, joiners); });
  team.sync();
  for (int j = 0; j < m; ++j) {
    const Sums<float, 3> load = team.sum_users([&](int i) { return batch_load(p, s, e, i, j); });
    team.single([&] { set_iteration_time(p, s, ev, x, e, j, load); });
  }
  team.sync();

  team.histogram([&](int i) { return serve(slot, i); }, 2 * m, x.slot_end);
  team.for_lanes(m, [&](int j) {
    s.n_active[s.l.server(e, j)] -= x.slot_end[j];
    s.n_uploading[s.l.server(e, j)] = x.slot_end[m + j];
  });

  const float fade_w = sqrtf((1.f - p.fading_rho * p.fading_rho) * 0.5f);
  team.for_users([&](int i) { fade_channels(slot, i, fade_w); });
  const Sums<float, kClosedSums> closed = team.sum_users([&](int i) { return close_slot(slot, i); });

  const int done = team.compact([&](int i) { return (x.flags[i] & (kDoneEarly | kDoneServer)) != 0; }, x.done_list);
  const int decided = p.quality_cost_at_decision
                          ? team.compact([&](int i) { return (x.flags[i] & kDecided) != 0; }, x.decide_list)
                          : 0;
  team.single([&] {
    const Sums<float, 2> quality = fold_completions(p, s, x, e, done, decided);
    finish_slot(p, s, out, e, t, clock, closed, quality);
  });
  team.sync();

  // ---- Auto-reset on the time limit: keep the final observation.
  if (t + 1 >= p.episode_slots) {
    observe_env(team, p, s, x, e, out.final_obs, out.active);
    const float used = team.sum_users([&](int i) { return s.energy_used_j[s.l.user(e, i)]; });
    const int in_flight_now = team.count_users([&](int i) { return in_flight(s, s.l.user(e, i)); });
    team.single([&] { finish_episode(p, s, out, e, t, used, in_flight_now); });
    reset_env(team, p, s, x, out, e);
  } else {
    team.single([&] { out.truncated[e] = 0; });
    observe_env(team, p, s, x, e, out.obs, out.active);
  }
}

}  // namespace mecrl::offload
