// Checking saved simulator-state bytes before they replace a live state
// (VecEnv::load_state): a checkpoint whose CRC matches may still hold
// garbage (a forged or buggy file), and a state that breaks the scenario's
// invariants would train on NaNs or index out of bounds.
//
// The bytes are carved into a host-side State view with the backend's own
// layout, then each env goes through the scenario's check of its long-lived
// fields (Sc::check_state, envs/<scenario>/validate_state.h), and the step
// buffers through a generic one. Host code only; includable from nvcc (no fmt).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/soa.h"
#include "envs/step_buffers.h"

namespace mecrl {

// ---- helpers for the scenarios' checks: "" when fine, else what is wrong

inline std::string state_problem(const char* where, int index, const char* field, double value, const char* rule) {
  char buf[256];
  if (index >= 0) {
    std::snprintf(buf, sizeof buf, "%s %d: %s = %.9g (%s)", where, index, field, value, rule);
  } else {
    std::snprintf(buf, sizeof buf, "%s = %.9g (%s)", field, value, rule);  // a field of the env itself
  }
  return buf;
}

// A finite value in [lo, hi].
inline bool finite_in(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

// The first problem of the step buffers of env e (observations, flags).
inline std::string check_step_buffers(const StepBuffers& b, const EnvDims& d, int e) {
  for (int i = 0; i < d.users; ++i) {
    const size_t u = static_cast<size_t>(e) * d.users + i;
    for (int f = 0; f < d.features; ++f) {
      const size_t k = u * d.features + f;
      if (!std::isfinite(b.obs[k])) {
        return state_problem("user", i, ("obs feature " + std::to_string(f)).c_str(), b.obs[k], "must be finite");
      }
      if (!std::isfinite(b.final_obs[k])) {
        return state_problem("user", i, ("final_obs feature " + std::to_string(f)).c_str(), b.final_obs[k],
                             "must be finite");
      }
    }
    if (b.active[u] > 1) return state_problem("user", i, "active", b.active[u], "0 or 1");
    for (int a = 0; a < d.actions; ++a) {
      if (b.action_mask[u * d.actions + a] > 1) {
        return state_problem("user", i, "action_mask", b.action_mask[u * d.actions + a], "0 or 1");
      }
    }
  }
  if (b.terminated[e] > 1) return state_problem("env", -1, "terminated", b.terminated[e], "0 or 1");
  if (b.truncated[e] > 1) return state_problem("env", -1, "truncated", b.truncated[e], "0 or 1");
  if (!std::isfinite(b.reward[e])) return state_problem("env", -1, "reward", b.reward[e], "must be finite");
  return "";
}

// The first problem of a saved state (state_bytes of State, then the step
// buffers), "" if every env passes. Sc::check_state(p, s, e) is the
// scenario's own check of env e.
template <class Sc>
std::string check_state_bytes(const typename Sc::Params& p, const SoaLayout& layout, const EnvDims& dims,
                              const uint8_t* bytes, size_t state_bytes, size_t buf_bytes) {
  std::vector<uint8_t> host(bytes, bytes + state_bytes + buf_bytes);  // aligned as new[] aligns
  typename Sc::State s{};
  s.l = layout;
  SoaArena carve_state(layout, host.data());
  s.visit(carve_state);
  StepBuffers b{};
  SoaArena carve_buf(layout, host.data() + state_bytes);
  b.visit(carve_buf, dims);
  for (int e = 0; e < dims.num_envs; ++e) {
    std::string problem = Sc::check_state(p, s, e);
    if (problem.empty()) problem = check_step_buffers(b, dims, e);
    if (!problem.empty()) return "env " + std::to_string(e) + ", " + problem;
  }
  return "";
}

}  // namespace mecrl
