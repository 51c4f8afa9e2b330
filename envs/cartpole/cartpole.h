// Scenario `cartpole`: gymnasium's CartPole-v1, exactly (same constants,
// explicit Euler integrator, reward 1 per step, termination at |x| > 2.4 or
// |theta| > 12 degrees, truncation after 500 steps), as a scenario of this
// framework (U = 1 user, A = 2 actions, no costs). It is the reference
// problem on which the PPO implementation is checked against CleanRL's.
//
// The state is float64 like gymnasium's (numpy float64), so trajectories
// match gymnasium to ~1e-12; observations are float32 like gymnasium's.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/team.h"
#include "envs/cartpole/features.h"
#include "envs/cartpole/validate_state.h"
#include "envs/step_buffers.h"

namespace mecrl::cartpole {

struct CartPoleParams {
  uint64_t seed = 1;
  uint32_t first_env = 0;  // global index of env 0 (data-parallel: rank * num_envs); keys the Philox streams
  double gravity = 9.8, masscart = 1.0, masspole = 0.1, length = 0.5, force_mag = 10.0, tau = 0.02;
  double theta_threshold_rad = 12.0 * 2.0 * 3.14159265358979323846 / 360.0;
  double x_threshold = 2.4;
  int max_episode_steps = 500;
  double reset_bound = 0.05;  // initial state ~ U(-0.05, 0.05)^4
};

struct CartPoleState {
  SoaLayout l;
  double* x;          // [E] cart position, m
  double* x_dot;      // [E] m/s
  double* theta;      // [E] pole angle, rad
  double* theta_dot;  // [E] rad/s
  int32_t* t;         // [E] steps in the episode
  uint32_t* clock;    // [E] steps since creation (RNG counter)
  float* ep_return;   // [E]

  template <class Arena>
  void visit(Arena& a) {
    a(x, Extent::Env); a(x_dot, Extent::Env); a(theta, Extent::Env); a(theta_dot, Extent::Env);
    a(t, Extent::Env); a(clock, Extent::Env); a(ep_return, Extent::Env);
  }
};

struct NoEvents {
  template <class Arena>
  void visit(Arena&, int, int, int) {}
};

// obs: [E, 1, kNumFeatures] float32 (features.h)
MECRL_HD void write_obs(const CartPoleState& s, int e, float* obs) {
  float* o = obs + kNumFeatures * e;
  o[kFX] = static_cast<float>(s.x[e]);
  o[kFXDot] = static_cast<float>(s.x_dot[e]);
  o[kFTheta] = static_cast<float>(s.theta[e]);
  o[kFThetaDot] = static_cast<float>(s.theta_dot[e]);
}

MECRL_HD void reset_cartpole(const CartPoleParams& p, const CartPoleState& s, const StepBuffers& out, int e) {
  Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, s.clock[e], 1, 0);
  const double b = p.reset_bound;
  s.x[e] = -b + 2 * b * static_cast<double>(r.uniform());
  s.x_dot[e] = -b + 2 * b * static_cast<double>(r.uniform());
  s.theta[e] = -b + 2 * b * static_cast<double>(r.uniform());
  s.theta_dot[e] = -b + 2 * b * static_cast<double>(r.uniform());
  s.t[e] = 0;
  s.ep_return[e] = 0.f;
  out.active[e] = 1;
  out.action_mask[2 * e] = out.action_mask[2 * e + 1] = 1;
  write_obs(s, e, out.obs);
}

// gymnasium.envs.classic_control.CartPoleEnv.step, in the same operation order.
MECRL_HD void step_cartpole(const CartPoleParams& p, const CartPoleState& s, const int32_t* actions,
                            const StepBuffers& out, int e) {
  const double total_mass = p.masspole + p.masscart;
  const double polemass_length = p.masspole * p.length;
  const double force = actions[e] == 1 ? p.force_mag : -p.force_mag;
  const double costheta = cos(s.theta[e]), sintheta = sin(s.theta[e]);
  const double temp = (force + polemass_length * (s.theta_dot[e] * s.theta_dot[e]) * sintheta) / total_mass;
  const double thetaacc = (p.gravity * sintheta - costheta * temp) /
                          (p.length * (4.0 / 3.0 - p.masspole * (costheta * costheta) / total_mass));
  const double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
  s.x[e] = s.x[e] + p.tau * s.x_dot[e];
  s.x_dot[e] = s.x_dot[e] + p.tau * xacc;
  s.theta[e] = s.theta[e] + p.tau * s.theta_dot[e];
  s.theta_dot[e] = s.theta_dot[e] + p.tau * thetaacc;
  const bool terminated = s.x[e] < -p.x_threshold || s.x[e] > p.x_threshold ||
                          s.theta[e] < -p.theta_threshold_rad || s.theta[e] > p.theta_threshold_rad;
  s.t[e] += 1;
  s.clock[e] += 1u;
  const bool truncated = !terminated && s.t[e] >= p.max_episode_steps;
  out.reward[e] = 1.f;
  out.reward_user[e] = 1.f;
  out.decisions[e] = 1;
  s.ep_return[e] += 1.f;
  out.terminated[e] = terminated ? 1 : 0;
  out.truncated[e] = truncated ? 1 : 0;
  if (terminated || truncated) {
    write_obs(s, e, out.final_obs);
    out.ep_return[e] = s.ep_return[e];
    out.ep_length[e] = s.t[e];
    reset_cartpole(p, s, out, e);
  } else {
    write_obs(s, e, out.obs);
  }
}

struct CartPoleScenario {
  using Params = CartPoleParams;
  using State = CartPoleState;
  using Events = NoEvents;
  static constexpr const char* kName = "cartpole";

  static EnvDims dims(const Params&, int num_envs) { return EnvDims{num_envs, 1, kNumFeatures, 2, 0, 0}; }
  static SoaLayout layout(const Params&, int num_envs) { return SoaLayout{num_envs, 1, 1}; }
  // One lane per env (no users to spread): 128 envs per block on the GPU,
  // neighbouring lanes on neighbouring envs.
  static TeamConfig team_config(const Params&) { return TeamConfig{1, 0, 0, 0}; }
  template <class Arena>
  static void visit_events(Events&, Arena&, const Params&, int) {}
  template <class Team>
  MECRL_HD static void reset(const Team& team, const Params& p, const State& s, const StepBuffers& out, int e) {
    team.single([&] { reset_cartpole(p, s, out, e); });
  }
  template <class Team>
  MECRL_HD static void step(const Team& team, const Params& p, const State& s, const int32_t* a,
                            const StepBuffers& out, const Events&, int e) {
    team.single([&] { step_cartpole(p, s, a, out, e); });
  }
  // Baselines: 0 = "random" (uniform), 1 = "left", 2 = "right".
  MECRL_HD static void act(int policy, const Params& p, const State& s, int e, int32_t* actions) {
    if (policy == 0) {
      Rng r(p.seed, static_cast<uint32_t>(e) + p.first_env, s.clock[e], 2, 0);
      actions[e] = r.bernoulli(0.5f) ? 1 : 0;
    } else {
      actions[e] = policy == 2 ? 1 : 0;
    }
  }
  // "" if env e of a loaded state is one the dynamics can reach, else why not.
  static std::string check_state(const Params& p, const State& s, int e) { return check_cartpole_state(p, s, e); }

  static std::vector<std::string> cost_names() { return {}; }
  static std::vector<std::string> info_names() { return {}; }
  static std::vector<std::string> baseline_names() { return {"random", "left", "right"}; }
};

}  // namespace mecrl::cartpole
