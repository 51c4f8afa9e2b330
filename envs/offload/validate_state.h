// The offload scenario's check of a saved state (envs/check_state.h): the
// invariants of the long-lived fields that every reachable state satisfies
// (enumerations in range, counts within their bounds, quantities finite and
// of the right sign). Per-slot scratch fields are rewritten by every step and
// are not checked. tests/envs/offload/test_validate_state.cpp runs the env
// and checks every state it reaches passes, and that each rule fires.
#pragma once

#include <string>

#include "envs/check_state.h"
#include "envs/offload/params.h"
#include "envs/offload/state.h"

namespace mecrl::offload {

inline std::string check_offload_state(const OffloadParams& p, const OffloadState& s, int e) {
  const int n = p.num_users, m = p.num_servers;
  for (int i = 0; i < n; ++i) {
    const size_t u = s.l.user(e, i);
    if (s.device_kind[u] >= p.num_device_kinds) {
      return state_problem("user", i, "device_kind", s.device_kind[u], "a row of tables.devices");
    }
    if (s.phase[u] > kDownlink) return state_problem("user", i, "phase", s.phase[u], "a Phase, 0..5");
    if (s.qclass[u] > 1) return state_problem("user", i, "qclass", s.qclass[u], "0 simple or 1 complex");
    if (s.target[u] > m) return state_problem("user", i, "target", s.target[u], "0 local or 1..num_servers");
    if ((s.phase[u] == kUpload || s.phase[u] == kServer) && s.target[u] == 0) {
      return state_problem("user", i, "target", s.target[u], "a user uploading or at a server targets a server");
    }
    if (!finite_in(s.uncertainty[u], 0, 1)) return state_problem("user", i, "uncertainty", s.uncertainty[u], "in [0, 1]");
    if (s.ticket[u] < 0) return state_problem("user", i, "ticket", s.ticket[u], ">= 0");
    struct Field {
      const char* name;
      float v;
      bool non_negative;
    };
    const Field fields[] = {{"prompt_tokens", s.prompt_tokens[u], true},   {"output_tokens", s.output_tokens[u], true},
                            {"payload_bits", s.payload_bits[u], true},     {"arrival_off_s", s.arrival_off_s[u], false},
                            {"work", s.work[u], false},                    {"iters_done", s.iters_done[u], true},
                            {"ttft_s", s.ttft_s[u], false},                {"query_energy_j", s.query_energy_j[u], true},
                            {"server_energy_j", s.server_energy_j[u], true}, {"deficit_j", s.deficit_j[u], true},
                            {"energy_used_j", s.energy_used_j[u], true}};
    for (const Field& f : fields) {
      if (!std::isfinite(f.v)) return state_problem("user", i, f.name, f.v, "must be finite");
      if (f.non_negative && f.v < 0) return state_problem("user", i, f.name, f.v, ">= 0");
    }
    for (int j = 0; j < m; ++j) {
      const size_t k = s.l.pair(e, i, j);
      if (!finite_in(s.mean_gain[k], 0, 1e30)) return state_problem("user", i, "mean_gain", s.mean_gain[k], "finite, >= 0");
      if (!std::isfinite(s.fade_re[k])) return state_problem("user", i, "fade_re", s.fade_re[k], "must be finite");
      if (!std::isfinite(s.fade_im[k])) return state_problem("user", i, "fade_im", s.fade_im[k], "must be finite");
    }
  }
  for (int j = 0; j < m; ++j) {
    const size_t k = s.l.server(e, j);
    if (s.next_active[k] < 0 || s.next_active[k] > s.next_ticket[k]) {
      return state_problem("server", j, "next_active", s.next_active[k], "in [0, next_ticket]");
    }
    if (s.n_active[k] < 0 || s.n_active[k] > n) return state_problem("server", j, "n_active", s.n_active[k], "in [0, N]");
    if (s.n_uploading[k] < 0 || s.n_uploading[k] > n) {
      return state_problem("server", j, "n_uploading", s.n_uploading[k], "in [0, N]");
    }
    if (!finite_in(s.iter_time_s[k], 0, 1e30) || !(s.iter_time_s[k] > 0)) {
      return state_problem("server", j, "iter_time_s", s.iter_time_s[k], "finite, > 0");
    }
    if (!finite_in(s.batch_last[k], 0, n)) return state_problem("server", j, "batch_last", s.batch_last[k], "in [0, N]");
  }
  if (s.t[e] < 0 || s.t[e] > p.episode_slots) return state_problem("", -1, "t", s.t[e], "in [0, episode_slots]");
  if (!finite_in(s.acc_ema[e], 0, 1)) return state_problem("", -1, "acc_ema", s.acc_ema[e], "in [0, 1]");
  if (!finite_in(s.hal_ema[e], 0, 1)) return state_problem("", -1, "hal_ema", s.hal_ema[e], "in [0, 1]");
  if (s.ep_completions[e] < 0) return state_problem("", -1, "ep_completions", s.ep_completions[e], ">= 0");
  const float sums[] = {s.ep_return[e], s.ep_latency_sum_s[e], s.ep_correct[e], s.ep_hallucinated[e], s.ep_offloaded[e]};
  for (float v : sums) {
    if (!std::isfinite(v)) return state_problem("", -1, "episode sum", v, "must be finite");
  }
  for (int c = 0; c < kNumCosts; ++c) {
    const float v = s.ep_costs[static_cast<size_t>(e) * kNumCosts + c];
    if (!std::isfinite(v)) return state_problem("", -1, "ep_costs", v, "must be finite");
  }
  return "";
}

}  // namespace mecrl::offload
