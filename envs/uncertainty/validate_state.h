// The uncertainty scenario's check of a saved state (envs/check_state.h):
// every field of a snapshot is drawn from a bounded or positive
// distribution, so a saved snapshot must lie in those supports.
// tests/envs/uncertainty/test_validate_state.cpp checks drawn snapshots
// pass and each rule fires.
#pragma once

#include <string>

#include "envs/check_state.h"
#include "envs/uncertainty/params.h"
#include "envs/uncertainty/state.h"

namespace mecrl::uncertainty {

inline std::string check_uncertainty_state(const UncertaintyParams& p, const UncertaintyState& s, int e) {
  for (int i = 0; i < p.num_users; ++i) {
    const size_t u = s.l.user(e, i);
    if (!finite_in(s.x_m[u], 0, p.area_m)) return state_problem("user", i, "x_m", s.x_m[u], "in [0, area_m]");
    if (!finite_in(s.y_m[u], 0, p.area_m)) return state_problem("user", i, "y_m", s.y_m[u], "in [0, area_m]");
    if (!finite_in(s.alpha[u], 0, 1)) return state_problem("user", i, "alpha", s.alpha[u], "in [0, 1]");
    if (s.slm_correct[u] > 1) return state_problem("user", i, "slm_correct", s.slm_correct[u], "0 or 1");
    if (s.llm_correct[u] > 1) return state_problem("user", i, "llm_correct", s.llm_correct[u], "0 or 1");
    struct Field {
      const char* name;
      float v;
    };
    const Field positive[] = {{"slm_s", s.slm_s[u]},           {"llm_s", s.llm_s[u]},
                              {"local_s", s.local_s[u]},       {"local_flops", s.local_flops[u]},
                              {"payload_bits", s.payload_bits[u]}};
    for (const Field& f : positive) {
      if (!std::isfinite(f.v) || !(f.v > 0)) return state_problem("user", i, f.name, f.v, "finite, > 0");
    }
    for (int j = 0; j < p.num_servers; ++j) {
      const float g = s.gain[s.l.pair(e, i, j)];
      if (!finite_in(g, 0, 1e30)) return state_problem("user", i, "gain", g, "finite, >= 0");
    }
  }
  for (int j = 0; j < p.num_servers; ++j) {
    const float c = s.server_flops[s.l.server(e, j)];
    if (!std::isfinite(c) || !(c > 0)) return state_problem("server", j, "server_flops", c, "finite, > 0");
  }
  if (s.pass[e] > (p.join_view ? 1 : 0)) {
    return state_problem("", -1, "pass", s.pass[e], p.join_view ? "0 or 1" : "0 (env.join_view is off)");
  }
  if (s.drawn[e] == 0) return state_problem("", -1, "drawn", s.drawn[e], "a reset env has drawn a snapshot, >= 1");
  return "";
}

}  // namespace mecrl::uncertainty
