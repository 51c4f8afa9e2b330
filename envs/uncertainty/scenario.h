// The `uncertainty` scenario as ScenarioEnv sees it (envs/scenario_env.h).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "envs/uncertainty/baselines.h"
#include "envs/uncertainty/step.h"
#include "envs/uncertainty/validate_state.h"

namespace mecrl::uncertainty {

struct UncertaintyScenario {
  using Params = UncertaintyParams;
  using State = UncertaintyState;
  using Events = UncertaintyEvents;
  static constexpr const char* kName = "uncertainty";

  // U = N users, F = num_features(M, join_view), A = M + 1 actions, C = 1 cost, I = 5 info.
  static EnvDims dims(const Params& p, int num_envs) {
    return EnvDims{num_envs, p.num_users, num_features(p.num_servers, p.join_view), p.num_servers + 1, kNumCosts,
                   kEpisodeInfo};
  }
  static SoaLayout layout(const Params& p, int num_envs) { return SoaLayout{num_envs, p.num_users, p.num_servers}; }
  // A lane per user; the observation [N, F] goes through rows().
  static TeamConfig team_config(const Params& p) {
    return TeamConfig{p.num_users, scratch_bytes<UncertaintyScratch>(p.num_users, p.num_servers), p.num_users,
                      num_features(p.num_servers, p.join_view)};
  }
  template <class Arena>
  static void visit_events(Events& ev, Arena& a, const Params& p, int num_envs) {
    ev.visit(a, num_envs, p.num_users);
  }

  template <class Team>
  MECRL_HD static void reset(const Team& team, const Params& p, const State& s, const StepBuffers& out, int e) {
    reset_env(team, p, s, carve_scratch<UncertaintyScratch>(team, p.num_users, p.num_servers), out, e);
  }
  template <class Team>
  MECRL_HD static void step(const Team& team, const Params& p, const State& s, const int32_t* actions,
                            const StepBuffers& out, const Events& ev, int e) {
    step_env(team, p, s, actions, out, ev, e);
  }
  MECRL_HD static void act(int policy, const Params& p, const State& s, int e, int32_t* actions) {
    baseline_actions(static_cast<Baseline>(policy), p, s, e, actions);
  }

  // "" if env e of a loaded state is one the dynamics can reach, else why not.
  static std::string check_state(const Params& p, const State& s, int e) { return check_uncertainty_state(p, s, e); }

  static std::vector<std::string> cost_names() { return {"accuracy"}; }
  static std::vector<std::string> info_names() {
    return std::vector<std::string>(kEpisodeInfoNames, kEpisodeInfoNames + kEpisodeInfo);
  }
  // In the order of enum Baseline.
  static std::vector<std::string> baseline_names() { return {"local", "edge", "goa", "dmin", "random"}; }
};

}  // namespace mecrl::uncertainty
