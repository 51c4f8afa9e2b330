// The `offload` scenario as ScenarioEnv sees it (envs/scenario_env.h).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "envs/offload/baselines.h"
#include "envs/offload/step.h"
#include "envs/offload/validate_state.h"

namespace mecrl::offload {

struct OffloadScenario {
  using Params = OffloadParams;
  using State = OffloadState;
  using Events = OffloadEvents;
  static constexpr const char* kName = "offload";

  static EnvDims dims(const Params& p, int num_envs) {
    return EnvDims{num_envs, p.num_users, num_features(p.num_servers), p.num_servers + 1, kNumCosts,
                   kEpisodeInfo};
  }
  static SoaLayout layout(const Params& p, int num_envs) { return SoaLayout{num_envs, p.num_users, p.num_servers}; }
  // A lane per user; the observation [N, F] goes through rows().
  static TeamConfig team_config(const Params& p) {
    return TeamConfig{p.num_users, scratch_bytes<OffloadScratch>(p.num_users, p.num_servers), p.num_users,
                      num_features(p.num_servers)};
  }
  template <class Arena>
  static void visit_events(Events& ev, Arena& a, const Params& p, int num_envs) {
    ev.visit(a, num_envs, p.num_users, p.num_servers);
  }

  template <class Team>
  MECRL_HD static void reset(const Team& team, const Params& p, const State& s, const StepBuffers& out, int e) {
    // Every action is allowed in this scenario; the mask is constant.
    const int a = p.num_servers + 1;
    team.for_users([&](int i) {
      for (int k = 0; k < a; ++k) out.action_mask[(static_cast<size_t>(e) * p.num_users + i) * a + k] = 1;
    });
    reset_env(team, p, s, carve_scratch<OffloadScratch>(team, p.num_users, p.num_servers), out, e);
  }
  template <class Team>
  MECRL_HD static void step(const Team& team, const Params& p, const State& s, const int32_t* actions,
                            const StepBuffers& out, const Events& ev, int e) {
    step_env(team, p, s, actions, out, ev, e);
  }
  MECRL_HD static void act(int policy, const Params& p, const State& s, int e, int32_t* actions) {
    baseline_actions(static_cast<Baseline>(policy), p, s, e, p.goa_tau, actions);
  }

  // "" if env e of a loaded state is one the dynamics can reach, else why not.
  static std::string check_state(const Params& p, const State& s, int e) { return check_offload_state(p, s, e); }

  static std::vector<std::string> cost_names() { return {"energy", "accuracy", "hallucination"}; }
  static std::vector<std::string> info_names() {
    return std::vector<std::string>(kEpisodeInfoNames, kEpisodeInfoNames + kEpisodeInfo);
  }
  static std::vector<std::string> baseline_names() {
    return {"local", "offload", "random", "complexity", "greedy", "goa"};
  }
};

}  // namespace mecrl::offload
