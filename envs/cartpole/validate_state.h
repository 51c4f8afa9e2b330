// CartPole's check of a saved state (envs/check_state.h): what every state
// the dynamics can reach satisfies. After a step a pole past the thresholds
// has already been reset, so a saved state is always inside them.
#pragma once

#include <string>

#include "envs/check_state.h"

namespace mecrl::cartpole {

// A template because cartpole.h defines Params, State and the scenario in
// one header, which includes this one first.
template <class Params, class State>
std::string check_cartpole_state(const Params& p, const State& s, int e) {
  if (!finite_in(s.x[e], -p.x_threshold, p.x_threshold)) return state_problem("", -1, "x", s.x[e], "|x| <= x_threshold");
  if (!finite_in(s.theta[e], -p.theta_threshold_rad, p.theta_threshold_rad)) {
    return state_problem("", -1, "theta", s.theta[e], "|theta| <= theta_threshold");
  }
  if (!std::isfinite(s.x_dot[e])) return state_problem("", -1, "x_dot", s.x_dot[e], "must be finite");
  if (!std::isfinite(s.theta_dot[e])) return state_problem("", -1, "theta_dot", s.theta_dot[e], "must be finite");
  if (s.t[e] < 0 || s.t[e] >= p.max_episode_steps) {
    return state_problem("", -1, "t", s.t[e], "steps in the episode, in [0, max_episode_steps)");
  }
  if (!finite_in(s.ep_return[e], 0, p.max_episode_steps)) {
    return state_problem("", -1, "ep_return", s.ep_return[e], "in [0, max_episode_steps]");
  }
  return "";
}

}  // namespace mecrl::cartpole
