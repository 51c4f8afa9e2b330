// What every scenario writes on every step, and what a learner reads.
//
// A cell ("env") holds U users ("agents") that share one policy; an action is
// one of A choices per user; the env returns a team reward, a per-user reward
// and C constraint costs. CartPole is the U = 1, C = 0 case.
//
// All buffers are env-major and live on the backend's device (host memory for
// the CPU backend, device memory for CUDA); a learner wraps them without a
// copy. Shapes below use E = num_envs.
#pragma once

#include <cstdint>

#include "core/soa.h"

namespace mecrl {

struct EnvDims {
  int num_envs = 0;   // E
  int users = 1;      // U, agents per env
  int features = 0;   // F, per-user observation width
  int actions = 0;    // A, categorical choices per user
  int costs = 0;      // C, constraint costs (E[cost] <= 0 is satisfied)
  int info = 0;       // I, per-episode scalars reported when an episode ends
};

struct StepBuffers {
  float* obs = nullptr;          // [E, U, F] float32: observation for the next decision
  float* final_obs = nullptr;    // [E, U, F] float32: last obs of an episode that just ended
  uint8_t* active = nullptr;     // [E, U] uint8: 1 = this user decides now (others are masked)
  uint8_t* action_mask = nullptr;// [E, U, A] uint8: 1 = action allowed (all 1 unless a rule forbids)
  float* reward = nullptr;       // [E] float32: team reward of the step just taken
  float* reward_user = nullptr;  // [E, U] float32: each user's own reward
  float* costs = nullptr;        // [E, C] float32
  float* costs_user = nullptr;   // [E, U, C] float32: each user's share; costs = mean over users
  uint8_t* terminated = nullptr; // [E] uint8: MDP ended (no bootstrap)
  uint8_t* truncated = nullptr;  // [E] uint8: time limit (bootstrap from final_obs)
  int32_t* decisions = nullptr;  // [E] int32: users that decided in the step just taken
  // Written when an episode ends (terminated or truncated), else left as is.
  float* ep_return = nullptr;    // [E] float32: summed team reward
  int32_t* ep_length = nullptr;  // [E] int32: steps
  float* ep_costs = nullptr;     // [E, C] float32: summed costs
  float* ep_info = nullptr;      // [E, I] float32: scenario-specific episode scalars

  // Lays the buffers out in one allocation (SoaArena protocol).
  template <class Arena>
  void visit(Arena& a, const EnvDims& d) {
    take(a, obs, size_t(d.num_envs) * d.users * d.features);
    take(a, final_obs, size_t(d.num_envs) * d.users * d.features);
    take(a, active, size_t(d.num_envs) * d.users);
    take(a, action_mask, size_t(d.num_envs) * d.users * d.actions);
    take(a, reward, size_t(d.num_envs));
    take(a, reward_user, size_t(d.num_envs) * d.users);
    take(a, costs, size_t(d.num_envs) * d.costs);
    take(a, costs_user, size_t(d.num_envs) * d.users * d.costs);
    take(a, terminated, size_t(d.num_envs));
    take(a, truncated, size_t(d.num_envs));
    take(a, decisions, size_t(d.num_envs));
    take(a, ep_return, size_t(d.num_envs));
    take(a, ep_length, size_t(d.num_envs));
    take(a, ep_costs, size_t(d.num_envs) * d.costs);
    take(a, ep_info, size_t(d.num_envs) * d.info);
  }

 private:
  template <class Arena, class T>
  static void take(Arena& a, T*& p, size_t count) { a.take(p, count); }
};

}  // namespace mecrl
