// Rollout storage: T slots of E cells, on the env's device, allocated once
// (fixed addresses: the collector may be a CUDA graph).
// U users per cell; Uv = users with their own value (U for the user critic,
// 1 for the cell critic); K = value heads (1 reward + C costs when
// constraints are on); D = decision capacity per slot (agents/compaction.h).
#pragma once

#include <torch/torch.h>

namespace mecrl::agents {

struct Rollout {
  torch::Tensor obs;          // [T, E, U, F] float32, raw
  torch::Tensor next_obs;     // [T, E, U, F] float32: obs after the step (final obs on a reset)
  torch::Tensor active;       // [T, E, U] bool: the user decided at t
  torch::Tensor next_active;  // [T, E, U] bool: the user decides at t + 1
  torch::Tensor action_mask;  // [T, E, U, A] bool
  torch::Tensor actions;      // [T, E, U] int64 (0 where the user did not decide)
  torch::Tensor values;       // [T, E, Uv, K] float32: V(obs), one critic pass after the rollout
  torch::Tensor rewards;      // [T, E, Uv, K] float32: the streams the critic learns (scaled)
  // [T, E, Uv, K] float32: the same streams in the env's own units, before
  // ppo.norm_reward's return scaler. Allocated only where the world model
  // learns them (wm.raw_targets with ppo.norm_reward: keep_raw_rewards),
  // else undefined (without the scaler `rewards` is raw already).
  torch::Tensor raw_rewards;
  torch::Tensor raw_costs;    // [T, E, C] float32
  torch::Tensor terminated;   // [T, E] bool
  torch::Tensor truncated;    // [T, E] bool
  torch::Tensor trunc_values; // [T, E, Uv, K] float32: V(final obs) where truncated, else 0
  torch::Tensor joint;        // [T, E, max(A - 1, 1)] float32: share of users choosing each non-zero action
  torch::Tensor warm;         // [T, E] bool: the step counts towards J_c (past lagrangian.warmup_steps)
  // The deciding users of each slot, compacted (the actor's rows):
  torch::Tensor dec_rows;     // [T, D] int64: e * U + u, padded with E * U
  torch::Tensor dec_valid;    // [T, D] bool
  torch::Tensor dec_actions;  // [T, D] int64: the sampled action
  torch::Tensor dec_logp;     // [T, D] float32: its log-probability under the behaviour policy

  static Rollout allocate(int64_t T, int64_t E, int64_t U, int64_t F, int64_t A, int64_t C, int64_t Uv, int64_t K,
                          int64_t D, torch::Device device);
  void resize_decisions(int64_t D);  // a new capacity (buffers reallocated)
  void keep_raw_rewards();           // allocates raw_rewards (the collector fills it from then on)
  int64_t steps() const { return obs.size(0); }
  int64_t decision_capacity() const { return dec_rows.size(1); }
};

}  // namespace mecrl::agents
