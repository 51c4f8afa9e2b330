// Shared helpers for the uncertainty tests: params from the shipped config,
// a CPU env type, and a hand-built snapshot whose state the test sets field
// by field (the snapshot drawn at construction is overwritten).
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/serial_team.h"
#include "envs/cpu_exec.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl::uncertainty::testing {

using CpuEnv = ScenarioEnv<UncertaintyScenario, CpuExec>;

inline UncertaintyParams params_with(const std::vector<std::string>& overrides = {}) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/uncertainty.yaml");
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  r.allow_prefix("env.scenario");
  UncertaintyParams p = read_uncertainty_params(r);
  r.allow_prefix("eval.");
  r.allow_prefix("threads");
  r.finish();
  return p;
}

// One env (E = 1, one thread) whose snapshot the test writes by hand.
struct HandSnapshot {
  explicit HandSnapshot(const UncertaintyParams& p) : env(p, 1, CpuExec{1}, /*with_events=*/true) {}
  const UncertaintyState& s() const { return env.state(); }
  void user(int i, float alpha, float local_s, float slm_s, float llm_s, float payload_bits,
            bool slm_ok = true, bool llm_ok = true) {
    const size_t u = s().l.user(0, i);
    s().alpha[u] = alpha;
    s().local_s[u] = local_s;
    s().slm_s[u] = slm_s;
    s().llm_s[u] = llm_s;
    s().payload_bits[u] = payload_bits;
    s().slm_correct[u] = slm_ok ? 1 : 0;
    s().llm_correct[u] = llm_ok ? 1 : 0;
  }
  void gain(int i, int j, float g) { s().gain[s().l.pair(0, i, j)] = g; }
  void server(int j, float flops) { s().server_flops[s().l.server(0, j)] = flops; }
  std::vector<int32_t> act(const std::string& baseline) {
    std::vector<int32_t> a(static_cast<size_t>(env.params().num_users), -7);
    env.act_baseline(baseline, a.data());
    return a;
  }
  CpuEnv env;
};

// The load the step computes from decisions act [N] (load_of run by a CPU team).
inline ServerLoad step_load(const UncertaintyParams& p, const UncertaintyState& s, int e, const int32_t* act) {
  SerialTeamMemory memory;
  ServerLoad v;
  load_of(memory.team(TeamConfig{p.num_users, 0, 0, 0}), p, s, e, [&](int k) { return act[k]; }, v);
  return v;
}

}  // namespace mecrl::uncertainty::testing
