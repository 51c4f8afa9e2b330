// Small trainer configurations the agent tests share: 4 envs x 32 slots.
#pragma once

#include "agents/agent_config.h"

namespace mecrl::agents::test_configs {

inline AgentConfig small_config() {
  AgentConfig c;
  c.train.num_envs = 4;
  c.train.rollout_steps = 32;
  c.train.total_steps = 4 * 32 * 6;
  c.train.checkpoint_every = 1000;
  return c;
}

// PPO-Lagrangian over the offload scenario's three costs, every normaliser on.
inline AgentConfig small_lagrangian_config(float lambda0) {
  AgentConfig c = small_config();
  c.lag.mode = "lagrangian";
  c.lag.lambda_init = {lambda0, lambda0, lambda0};
  c.lag.limits = {0.f, 0.f, 0.f};
  c.ppo.norm_obs = c.ppo.norm_reward = true;
  return c;
}

// A tiny world model kept in use (gate threshold far above its error), so
// imagination and MVE targets are exercised from the second iteration on.
inline void add_small_world_model(AgentConfig& c) {
  c.wm.enabled = true;
  c.wm.hidden = 16;
  c.wm.window = 8;
  c.wm.batch_windows = 16;
  c.wm.updates = 1;
  c.wm.warmup_iterations = 1;
  c.wm.gate_threshold = 100.f;
  c.wm.imagine_cells = 4;
}

}  // namespace mecrl::agents::test_configs
