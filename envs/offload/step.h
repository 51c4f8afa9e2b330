// One slot of one cell: spec §3 steps 1-9, in order, then the auto-reset.
//
// Times inside a slot are offsets in [0, dt] from the slot start; a query's
// absolute time is (slot * dt + offset), so latencies stay exact in float over
// long episodes. Each numbered section below is one step of spec §3.
#pragma once

#include "envs/offload/reset.h"

namespace mecrl::offload {

// Accumulators of one env over one slot.
struct SlotSums {
  float acc_cost = 0.f;  // sum over charged queries of (A_min - correct)
  float hal_cost = 0.f;  // sum over charged queries of (hallucinated - H_max)
};

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

// Charges user i's accuracy and hallucination costs (spec §4) for one query:
// outcomes (0/1) at completion, or their probabilities at the decision.
MECRL_HD void add_quality_cost(const OffloadParams& p, const StepBuffers& out, int e, int i, float correct,
                               float hallucinated, SlotSums& sums) {
  sums.acc_cost += p.acc_min - correct;
  sums.hal_cost += hallucinated - p.hal_max;
  float* own = out.costs_user + (static_cast<size_t>(e) * p.num_users + i) * kNumCosts;
  own[kCostAccuracy] += p.acc_min - correct;  // a user completes at most once a slot, but stay general
  own[kCostHallucination] += hallucinated - p.hal_max;
}

// Step 6: a query of user i completes at offset `at_s` into the slot.
MECRL_HD void complete_query(const OffloadParams& p, const OffloadState& s, const OffloadEvents& ev,
                             const StepBuffers& out, int e, int i, float at_s, SlotSums& sums) {
  const size_t u = s.l.user(e, i);
  const int t = s.t[e];
  const float latency = static_cast<float>(t - s.arrival_slot[u]) * p.dt_s + (at_s - s.arrival_off_s[u]);
  const bool offloaded = s.target[u] > 0;
  const QualityProbs q = quality_probs(p, s, u);
  Rng r(p.seed, static_cast<uint32_t>(e), s.clock[e], kStreamQuality, static_cast<uint32_t>(i));
  const float correct = r.bernoulli(q.correct) ? 1.f : 0.f;
  const float hallucinated = r.bernoulli(q.hallucinated) ? 1.f : 0.f;
  if (!p.quality_cost_at_decision) add_quality_cost(p, out, e, i, correct, hallucinated, sums);
  const float w = 1.f / p.quality_window;
  s.acc_ema[e] += w * (correct - s.acc_ema[e]);
  s.hal_ema[e] += w * (hallucinated - s.hal_ema[e]);
  s.ep_latency_sum_s[e] += latency;
  s.ep_completions[e] += 1;
  s.ep_correct[e] += correct;
  s.ep_hallucinated[e] += hallucinated;
  s.ep_offloaded[e] += offloaded ? 1.f : 0.f;
  s.completed[e] += 1u;

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
  s.slot_free_at_s[u] = at_s;
}

MECRL_HD void step_env(const OffloadParams& p, const OffloadState& s, const int32_t* actions,
                       const StepBuffers& out, const OffloadEvents& ev, int e) {
  const int n = p.num_users, m = p.num_servers;
  const float dt = p.dt_s;
  const int t = s.t[e];
  const uint32_t clock = s.clock[e];
  SlotSums sums;
  if (ev.done) {
    for (int i = 0; i < n; ++i) ev.done[static_cast<size_t>(e) * n + i] = 0;
  }
  for (int k = 0; k < n * kNumCosts; ++k) out.costs_user[static_cast<size_t>(e) * n * kNumCosts + k] = 0.f;

  // ---- 1. Decisions: users in `decide` apply their action.
  int uploaders[kMaxServers];
  for (int j = 0; j < m; ++j) uploaders[j] = 0;
  int decisions = 0;
  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    s.slot_inflight_s[u] = 0.f;
    s.slot_energy_j[u] = 0.f;
    s.slot_free_at_s[u] = s.phase[u] == kIdle ? 0.f : -1.f;
    s.slot_join_s[u] = -1.f;
    if (s.phase[u] == kDecide) {
      const int a = clamp_to(actions[static_cast<size_t>(e) * n + i], 0, m);
      const int kind = s.device_kind[u];
      ++decisions;
      s.query_energy_j[u] = 0.f;
      s.server_energy_j[u] = 0.f;
      s.target[u] = static_cast<uint8_t>(a);
      if (p.quality_cost_at_decision) {
        const QualityProbs q = quality_probs(p, s, u);
        add_quality_cost(p, out, e, i, q.correct, q.hallucinated, sums);
      }
      if (a == 0) {
        s.phase[u] = kLocal;
        const float prefill_s = s.prompt_tokens[u] * p.d.device_prefill_s[kind];
        s.work[u] = prefill_s + s.output_tokens[u] * p.d.device_token_s[kind];
        // §10.7: local TTFT = decision instant + L_in t_pre - arrival.
        s.ttft_s[u] = static_cast<float>(t - s.arrival_slot[u]) * dt - s.arrival_off_s[u] + prefill_s;
      } else {
        s.phase[u] = kUpload;
        s.work[u] = s.payload_bits[u];
        s.ttft_s[u] = -1.f;
      }
    }
    if (s.phase[u] == kUpload) ++uploaders[s.target[u] - 1];
  }

  // ---- 2. Local compute, 3. uplink, 5. downlink carried over from last slot.
  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    const uint8_t ph = s.phase[u];
    if (ph == kLocal) {
      const float w = s.work[u];
      const float run = min_of(w, dt);
      const float joules = p.device[s.device_kind[u]].active_power_w * run;
      s.slot_energy_j[u] += joules;
      s.query_energy_j[u] += joules;
      if (w <= dt) {
        complete_query(p, s, ev, out, e, i, w, sums);
      } else {
        s.work[u] = w - dt;
      }
    } else if (ph == kUpload) {
      // n_j counted at slot start after decisions; no redistribution (§10.5).
      const int j = s.target[u] - 1;
      const float rate = uplink_rate_bps(p.bandwidth_hz, uploaders[j], p.tx_power_w,
                                         channel_gain(s, e, i, j), p.d.noise_w_per_hz);
      const float bits = s.work[u];
      if (bits <= rate * dt) {
        const float tx_s = bits / rate;
        s.slot_energy_j[u] += p.tx_power_w * tx_s;
        s.query_energy_j[u] += p.tx_power_w * tx_s;
        s.work[u] = 0.f;
        s.phase[u] = kServer;
        s.iters_done[u] = 0.f;
        s.slot_join_s[u] = tx_s;
      } else {
        s.work[u] = bits - rate * dt;
        s.slot_energy_j[u] += p.tx_power_w * dt;
        s.query_energy_j[u] += p.tx_power_w * dt;
      }
    } else if (ph == kDownlink) {
      const float w = s.work[u];
      if (w <= dt) {
        complete_query(p, s, ev, out, e, i, w, sums);
      } else {
        s.work[u] = w - dt;
      }
    }
  }

  // ---- 4a. Queue join: prompts that arrived this slot get FIFO tickets in
  // the order of their arrival instants (ties by user index).
  int joined[kMaxServers];
  for (int j = 0; j < m; ++j) joined[j] = 0;
  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    const float at = s.slot_join_s[u];
    if (at < 0.f) continue;
    const int j = s.target[u] - 1;
    int rank = 0;
    for (int k = 0; k < n; ++k) {
      const size_t v = s.l.user(e, k);
      const float bt = s.slot_join_s[v];
      if (bt >= 0.f && s.target[v] == s.target[u] && (bt < at || (bt == at && k < i))) ++rank;
    }
    s.ticket[u] = s.next_ticket[s.l.server(e, j)] + rank;
    ++joined[j];
  }

  // ---- 4b. Batch admission at the boundary: free places go to the earliest
  // tickets (continuous batching, FIFO, no preemption).
  int batch[kMaxServers];
  for (int j = 0; j < m; ++j) {
    const size_t k = s.l.server(e, j);
    s.next_ticket[k] += joined[j];
    const int admit = min_of(p.d.max_batch[j] - s.n_active[k], s.next_ticket[k] - s.next_active[k]);
    if (admit > 0) {
      s.next_active[k] += admit;
      s.n_active[k] += admit;
    }
    batch[j] = s.n_active[k];
  }

  // ---- 4c. Iteration time of each server, fixed over the slot (§10.6):
  // context c = L_in + tokens decoded so far; prefill chunks pay their tokens.
  float ctx[kMaxServers], decoding[kMaxServers], prefill_tok[kMaxServers], iter_s[kMaxServers];
  for (int j = 0; j < m; ++j) ctx[j] = decoding[j] = prefill_tok[j] = 0.f;
  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    if (s.phase[u] != kServer) continue;
    const int j = s.target[u] - 1;
    if (s.ticket[u] >= s.next_active[s.l.server(e, j)]) continue;  // still queued
    const float n_pre = static_cast<float>(prefill_iterations(p, s.prompt_tokens[u]));
    if (s.iters_done[u] < n_pre) {
      ctx[j] += s.prompt_tokens[u];
      prefill_tok[j] += s.prompt_tokens[u] / n_pre;
    } else {
      ctx[j] += s.prompt_tokens[u] + (s.iters_done[u] - n_pre);
      decoding[j] += 1.f;
    }
  }
  for (int j = 0; j < m; ++j) {
    const size_t k = s.l.server(e, j);
    if (batch[j] > 0) {
      s.iter_time_s[k] = iteration_time_s(p, p.server_model[j], p.server_gpu[j], ctx[j], decoding[j], prefill_tok[j]);
    }
    iter_s[j] = s.iter_time_s[k];
    s.batch_last[k] = static_cast<float>(batch[j]);
    if (ev.server_batch) ev.server_batch[static_cast<size_t>(e) * m + j] = static_cast<float>(batch[j]);
  }

  // ---- 4d. Decoding progress (fluid within the slot), TTFT, 5. downlink.
  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    if (s.phase[u] != kServer) continue;
    const int j = s.target[u] - 1;
    const size_t k = s.l.server(e, j);
    if (s.ticket[u] >= s.next_active[k]) continue;
    const float start = s.slot_join_s[u] >= 0.f ? s.slot_join_s[u] : 0.f;
    const float avail = dt - start;
    const float gain = avail / iter_s[j];
    const float n_pre = static_cast<float>(prefill_iterations(p, s.prompt_tokens[u]));
    const float need = n_pre + s.output_tokens[u];
    const float done = s.iters_done[u];
    const float arrival_abs = static_cast<float>(t - s.arrival_slot[u]) * dt - s.arrival_off_s[u];
    if (done < n_pre && done + gain >= n_pre) {  // §10.7: prefill end + downlink - arrival
      s.ttft_s[u] = arrival_abs + start + (n_pre - done) * iter_s[j] + p.downlink_s;
    }
    if (done + gain >= need) {
      const float finish = start + (need - done) * iter_s[j];
      s.server_energy_j[u] += server_energy_j(p, p.server_gpu[j], finish - start, batch[j]);
      s.n_active[k] -= 1;
      const float answer_at = finish + p.downlink_s;
      if (answer_at <= dt) {
        complete_query(p, s, ev, out, e, i, answer_at, sums);
      } else {
        s.phase[u] = kDownlink;
        s.work[u] = answer_at - dt;
      }
    } else {
      s.iters_done[u] = done + gain;
      s.server_energy_j[u] += server_energy_j(p, p.server_gpu[j], avail, batch[j]);
    }
  }

  // ---- 7. Arrivals, 8. channel, 9. rewards and costs.
  float inflight_sum = 0.f, energy_cost = 0.f;
  for (int j = 0; j < m; ++j) uploaders[j] = 0;
  const float fade_w = sqrtf((1.f - p.fading_rho * p.fading_rho) * 0.5f);
  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    const float free_at = s.slot_free_at_s[u];
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
        s.issued[e] += 1u;
        inflight += dt - at;
      }
    }
    if (s.phase[u] == kUpload) ++uploaders[s.target[u] - 1];
    for (int j = 0; j < m; ++j) {  // g <- rho g + sqrt(1 - rho^2) w, w ~ CN(0, 1)
      const size_t k = s.l.pair(e, i, j);
      Rng r(p.seed, static_cast<uint32_t>(e), clock, kStreamFading, static_cast<uint32_t>(i * m + j));
      float w0, w1;
      r.normal2(w0, w1);
      s.fade_re[k] = p.fading_rho * s.fade_re[k] + fade_w * w0;
      s.fade_im[k] = p.fading_rho * s.fade_im[k] + fade_w * w1;
    }
    const float joules = s.slot_energy_j[u];
    const float over = joules - p.energy_budget_w * dt;
    s.deficit_j[u] = max_of(s.deficit_j[u] + over, 0.f);
    s.energy_used_j[u] += joules;
    s.slot_inflight_s[u] = inflight;
    inflight_sum += inflight;
    energy_cost += over;
    out.reward_user[static_cast<size_t>(e) * n + i] = -inflight;
    out.costs_user[(static_cast<size_t>(e) * n + i) * kNumCosts + kCostEnergy] = over;
    if (ev.user_energy_j) ev.user_energy_j[static_cast<size_t>(e) * n + i] = joules;
  }
  for (int j = 0; j < m; ++j) s.n_uploading[s.l.server(e, j)] = uploaders[j];

  const float inv_n = 1.f / static_cast<float>(n);
  const float reward = -inflight_sum * inv_n;
  float* costs = out.costs + static_cast<size_t>(e) * kNumCosts;
  costs[kCostEnergy] = energy_cost * inv_n;
  costs[kCostAccuracy] = sums.acc_cost * inv_n;
  costs[kCostHallucination] = sums.hal_cost * inv_n;
  out.reward[e] = reward;
  out.decisions[e] = decisions;
  s.ep_return[e] += reward;
  for (int c = 0; c < kNumCosts; ++c) s.ep_costs[static_cast<size_t>(e) * kNumCosts + c] += costs[c];
  s.t[e] = t + 1;
  s.clock[e] = clock + 1u;
  out.terminated[e] = 0;

  // ---- Auto-reset on the time limit: keep the final observation.
  if (t + 1 >= p.episode_slots) {
    out.truncated[e] = 1;
    observe_env(p, s, e, out.final_obs, out.active);
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
    float used = 0.f;
    for (int i = 0; i < n; ++i) used += s.energy_used_j[s.l.user(e, i)];
    info[5] = used * inv_n / (static_cast<float>(t + 1) * dt);
    info[6] = static_cast<float>(count_in_flight(p, s, e));
    reset_env(p, s, out, e);
  } else {
    out.truncated[e] = 0;
    observe_env(p, s, e, out.obs, out.active);
  }
}

}  // namespace mecrl::offload
