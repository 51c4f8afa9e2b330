// Rollout storage: T steps of E cells, on the env's device.
// Uv = users with their own value (U for the user critic, 1 for the cell
// critic); K = value heads (1 reward + C costs when constraints are on).
#pragma once

#include <torch/torch.h>

namespace mecrl::agents {

struct Rollout {
  torch::Tensor obs;          // [T, E, U, F] float32, raw
  torch::Tensor next_obs;     // [T, E, U, F] float32: obs after the step (final obs on a reset)
  torch::Tensor active;       // [T, E, U] bool: the user decided at t
  torch::Tensor next_active;  // [T, E, U] bool: the user decides at t + 1
  torch::Tensor action_mask;  // [T, E, U, A] bool
  torch::Tensor actions;      // [T, E, U] int64 (0 where inactive)
  torch::Tensor logp;         // [T, E, U] float32
  torch::Tensor values;       // [T, E, Uv, K] float32
  torch::Tensor rewards;      // [T, E, Uv, K] float32: the streams the critic learns (scaled)
  torch::Tensor raw_costs;    // [T, E, C] float32
  torch::Tensor terminated;   // [T, E] bool
  torch::Tensor truncated;    // [T, E] bool
  torch::Tensor trunc_values; // [T, E, Uv, K] float32: V(final obs) where truncated
  torch::Tensor joint;        // [T, E, A - 1] float32: share of users choosing each non-zero action

  static Rollout allocate(int64_t T, int64_t E, int64_t U, int64_t F, int64_t A, int64_t C, int64_t Uv, int64_t K,
                          torch::Device device);
};

}  // namespace mecrl::agents
