// One slot of one cell: spec §3 steps 1-9, in order, then the auto-reset.
//
// Team code (core/team.h): each numbered step is a function of (env, user)
// run on the user's lane; what couples users is computed between them by
// team operations, in a fixed order on both backends:
//   uploaders per server, joins and finishes per server   histogram (exact)
//   FIFO rank of this slot's joiners                      compact, then rank among them (exact)
//   context / decoding / prefill sums per server          sum_users (fixed tree)
//   in-flight time and energy over the budget             sum_users (fixed tree)
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

// Step 6: user i's query completes at offset `at_s` into the slot. `stage`
// (kDoneEarly or kDoneServer) orders it for the cell's fold.
MECRL_HD void complete_query(const OffloadParams& p, const OffloadState& s, const OffloadEvents& ev,
                             const OffloadScratch& x, int e, int i, int t, uint32_t clock, float at_s, uint8_t stage) {
  const size_t u = s.l.user(e, i);
  const float latency = static_cast<float>(t - s.arrival_slot[u]) * p.dt_s + (at_s - s.arrival_off_s[u]);
  const bool offloaded = s.target[u] > 0;
  const QualityProbs q = quality_probs(p, s, u);
  Rng r(p.seed, static_cast<uint32_t>(e), clock, kStreamQuality, static_cast<uint32_t>(i));
  const float correct = r.bernoulli(q.correct) ? 1.f : 0.f;
  const float hallucinated = r.bernoulli(q.hallucinated) ? 1.f : 0.f;
  if (!p.quality_cost_at_decision) {  // spec §4: outcomes charged at completion
    x.charge_acc[i] = p.acc_min - correct;
    x.charge_hal[i] = hallucinated - p.hal_max;
  }
  x.latency_s[i] = latency;
  x.flags[i] |= stage | (correct > 0.f ? kCorrect : 0) | (hallucinated > 0.f ? kHallucinated : 0) |
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
// scratch of every user starts empty).
MECRL_HD void decide(const OffloadParams& p, const OffloadState& s, const int32_t* actions, const OffloadEvents& ev,
                     const OffloadScratch& x, int e, int i, int t) {
  const size_t u = s.l.user(e, i);
  const uint8_t ph = s.phase[u];
  x.free_at_s[i] = ph == kIdle ? 0.f : -1.f;
  x.join_s[i] = -1.f;
  x.energy_j[i] = 0.f;
  x.charge_acc[i] = 0.f;
  x.charge_hal[i] = 0.f;
  x.flags[i] = 0;
  if (ev.done) ev.done[static_cast<size_t>(e) * p.num_users + i] = 0;
  if (ph != kDecide) return;
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
}

// ---- 2. Local compute, 3. uplink, 5. downlink carried over from last slot.
MECRL_HD void advance(const OffloadParams& p, const OffloadState& s, const OffloadEvents& ev, const OffloadScratch& x,
                      int e, int i, int t, uint32_t clock) {
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
      complete_query(p, s, ev, x, e, i, t, clock, w, kDoneEarly);
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
    } else {
      s.work[u] = bits - rate * dt;
      x.energy_j[i] += p.tx_power_w * dt;
      s.query_energy_j[u] += p.tx_power_w * dt;
    }
  } else if (ph == kDownlink) {
    const float w = s.work[u];
    if (w <= dt) {
      complete_query(p, s, ev, x, e, i, t, clock, w, kDoneEarly);
    } else {
      s.work[u] = w - dt;
    }
  }
}

// ---- 4a. Queue join: prompts that arrived this slot get FIFO tickets in
// the order of their arrival instants (ties by user index). Only this slot's
// joiners (join_list[0, joiners)) can be ahead of user i.
MECRL_HD void join_queue(const OffloadState& s, const OffloadScratch& x, int e, int i, int joiners) {
  const float at = x.join_s[i];
  if (at < 0.f) return;
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

// ---- 4b. Batch admission of server j at the boundary: free places go to
// the earliest tickets (continuous batching, FIFO, no preemption).
MECRL_HD void admit(const OffloadParams& p, const OffloadState& s, const OffloadScratch& x, int e, int j) {
  const size_t k = s.l.server(e, j);
  s.next_ticket[k] += x.joined[j];
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
MECRL_HD void serve(const OffloadParams& p, const OffloadState& s, const OffloadEvents& ev, const OffloadScratch& x,
                    int e, int i, int t, uint32_t clock) {
  const float dt = p.dt_s;
  const size_t u = s.l.user(e, i);
  if (s.phase[u] != kServer) return;
  const int j = s.target[u] - 1;
  if (s.ticket[u] >= s.next_active[s.l.server(e, j)]) return;
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
    x.flags[i] |= kLeftBatch;
    const float answer_at = finish + p.downlink_s;
    if (answer_at <= dt) {
      complete_query(p, s, ev, x, e, i, t, clock, answer_at, kDoneServer);
    } else {
      s.phase[u] = kDownlink;
      s.work[u] = answer_at - dt;
    }
  } else {
    s.iters_done[u] = done + gain;
    s.server_energy_j[u] += server_energy_j(p, p.server_gpu[j], avail, x.batch[j]);
  }
}

// ---- 7. Arrivals, 8. channel, 9. user i's reward and costs.
// Returns {seconds with a query in flight, device energy over the budget}.
MECRL_HD Sums<float, 2> close_slot(const OffloadParams& p, const OffloadState& s, const StepBuffers& out,
                                   const OffloadEvents& ev, const OffloadScratch& x, int e, int i, int t,
                                   uint32_t clock) {
  const int n = p.num_users, m = p.num_servers;
  const float dt = p.dt_s;
  const size_t u = s.l.user(e, i);
  const float free_at = x.free_at_s[i];
  float inflight = free_at < 0.f ? dt : free_at;  // busy all slot, or until completion
  if (s.phase[u] == kIdle) {
    // A user idle for (dt - free_at) seconds issues a query with
    // probability (dt - free_at) / think_time, uniformly in that interval.
    Rng r(p.seed, static_cast<uint32_t>(e), clock, kStreamArrival, static_cast<uint32_t>(i));
    const float idle_s = dt - free_at;
    if (r.uniform() < idle_s / p.think_time_s) {
      const float at = free_at + r.uniform() * idle_s;
      Rng q(p.seed, static_cast<uint32_t>(e), clock, kStreamQuery, static_cast<uint32_t>(i));
      draw_query(p, s, e, i, q);
      s.phase[u] = kDecide;
      s.arrival_slot[u] = t;
      s.arrival_off_s[u] = at;
      s.ttft_s[u] = -1.f;
      x.flags[i] |= kArrived;
      inflight += dt - at;
    }
  }
  const float fade_w = sqrtf((1.f - p.fading_rho * p.fading_rho) * 0.5f);
  for (int j = 0; j < m; ++j) {  // g <- rho g + sqrt(1 - rho^2) w, w ~ CN(0, 1)
    const size_t k = s.l.pair(e, i, j);
    Rng r(p.seed, static_cast<uint32_t>(e), clock, kStreamFading, static_cast<uint32_t>(i * m + j));
    float w0, w1;
    r.normal2(w0, w1);
    s.fade_re[k] = p.fading_rho * s.fade_re[k] + fade_w * w0;
    s.fade_im[k] = p.fading_rho * s.fade_im[k] + fade_w * w1;
  }
  const float joules = x.energy_j[i];
  const float over = joules - p.energy_budget_w * dt;
  s.deficit_j[u] = max_of(s.deficit_j[u] + over, 0.f);
  s.energy_used_j[u] += joules;
  const size_t row = static_cast<size_t>(e) * n + i;
  out.reward_user[row] = -inflight;
  float* own = out.costs_user + row * kNumCosts;
  own[kCostEnergy] = over;
  own[kCostAccuracy] = x.charge_acc[i];
  own[kCostHallucination] = x.charge_hal[i];
  if (ev.user_energy_j) ev.user_energy_j[row] = joules;
  Sums<float, 2> r;
  r[0] = inflight;
  r[1] = over;
  return r;
}

// Lane 0: the cell's running quality averages, episode sums and quality
// costs, folded over this slot's charges and completions in the order of the
// spec's loop (users ascending; steps 2-5 before step 4d). Returns the
// {accuracy, hallucination} cost sums.
MECRL_HD Sums<float, 2> fold_completions(const OffloadParams& p, const OffloadState& s, const OffloadScratch& x,
                                         int e, int done, int decided) {
  Sums<float, 2> cost;
  for (int k = 0; k < decided; ++k) {  // charged at the decision (quality_cost_at_decision)
    cost[0] += x.charge_acc[x.decide_list[k]];
    cost[1] += x.charge_hal[x.decide_list[k]];
  }
  const float w = 1.f / p.quality_window;
  for (int k = 0; k < done; ++k) {
    const int i = x.done_list[k];
    const uint8_t f = x.flags[i];
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

// Lane 0: the cell's reward, costs and clocks. slot = {in-flight time,
// energy over budget} summed over users, quality = fold_completions.
MECRL_HD void finish_slot(const OffloadParams& p, const OffloadState& s, const StepBuffers& out, int e, int t,
                          uint32_t clock, int decisions, int arrived, const Sums<float, 2>& slot,
                          const Sums<float, 2>& quality) {
  const float inv_n = 1.f / static_cast<float>(p.num_users);
  const float reward = -slot[0] * inv_n;
  float* costs = out.costs + static_cast<size_t>(e) * kNumCosts;
  costs[kCostEnergy] = slot[1] * inv_n;
  costs[kCostAccuracy] = quality[0] * inv_n;
  costs[kCostHallucination] = quality[1] * inv_n;
  out.reward[e] = reward;
  out.decisions[e] = decisions;
  s.issued[e] += static_cast<uint32_t>(arrived);
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
MECRL_HD OffloadScratch carve_scratch(const Team& team, const OffloadParams& p) {
  OffloadScratch x;
  x.carve(team.scratch(), p.num_users, p.num_servers);
  return x;
}

template <class Team>
MECRL_HD void step_env(const Team& team, const OffloadParams& p, const OffloadState& s, const int32_t* actions,
                       const StepBuffers& out, const OffloadEvents& ev, int e) {
  const int m = p.num_servers;
  const int t = s.t[e];
  const uint32_t clock = s.clock[e];
  const OffloadScratch x = carve_scratch(team, p);
  const auto uploader_server = [&](int i) {
    const size_t u = s.l.user(e, i);
    return s.phase[u] == kUpload ? s.target[u] - 1 : -1;
  };

  team.for_users([&](int i) { decide(p, s, actions, ev, x, e, i, t); });
  const int decisions = team.count_users([&](int i) { return (x.flags[i] & kDecided) != 0; });
  team.histogram(uploader_server, m, x.uploaders);

  team.for_users([&](int i) { advance(p, s, ev, x, e, i, t, clock); });

  const int joiners = team.compact([&](int i) { return x.join_s[i] >= 0.f; }, x.join_list);
  team.for_users([&](int i) { join_queue(s, x, e, i, joiners); });
  team.histogram([&](int i) { return x.join_s[i] >= 0.f ? s.target[s.l.user(e, i)] - 1 : -1; }, m, x.joined);

  team.for_lanes(m, [&](int j) { admit(p, s, x, e, j); });
  team.sync();
  for (int j = 0; j < m; ++j) {
    const Sums<float, 3> load = team.sum_users([&](int i) { return batch_load(p, s, e, i, j); });
    team.single([&] { set_iteration_time(p, s, ev, x, e, j, load); });
  }
  team.sync();

  team.for_users([&](int i) { serve(p, s, ev, x, e, i, t, clock); });
  team.histogram([&](int i) { return (x.flags[i] & kLeftBatch) ? s.target[s.l.user(e, i)] - 1 : -1; }, m,
                 x.finished);
  team.for_lanes(m, [&](int j) { s.n_active[s.l.server(e, j)] -= x.finished[j]; });

  const Sums<float, 2> slot = team.sum_users([&](int i) { return close_slot(p, s, out, ev, x, e, i, t, clock); });
  const int arrived = team.count_users([&](int i) { return (x.flags[i] & kArrived) != 0; });
  team.histogram(uploader_server, m, x.uploaders);
  team.for_lanes(m, [&](int j) { s.n_uploading[s.l.server(e, j)] = x.uploaders[j]; });

  const int early = team.compact([&](int i) { return (x.flags[i] & kDoneEarly) != 0; }, x.done_list);
  const int late = team.compact([&](int i) { return (x.flags[i] & kDoneServer) != 0; }, x.done_list + early);
  const int decided = p.quality_cost_at_decision
                          ? team.compact([&](int i) { return (x.flags[i] & kDecided) != 0; }, x.decide_list)
                          : 0;
  team.single([&] {
    const Sums<float, 2> quality = fold_completions(p, s, x, e, early + late, decided);
    finish_slot(p, s, out, e, t, clock, decisions, arrived, slot, quality);
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
