// Generalised advantage estimation over a rollout: the LibTorch face of
// cuda/gae.h, where the recursion lives (one MECRL_HD function per column of
// envs x value-users x heads, walked backwards over time): one kernel on a
// GPU, one loop on the CPU, no host synchronisation.
//
// Autoreset is SAME_STEP: after acting at t, terminated[t] means no
// bootstrap; truncated[t] means bootstrap from V(final_obs_t), given in
// trunc_value[t]; otherwise bootstrap from values[t + 1] (values[T] is the
// value of the observation after the rollout, `last_value`).
#pragma once

#include <torch/torch.h>

namespace mecrl::agents {

struct GaeResult {
  torch::Tensor advantages;  // [T, ...]
  torch::Tensor returns;     // advantages + values
};

// rewards, values, trunc_value: [T, C...]; last_value: [C...];
// terminated, truncated: [T, E] bool, broadcast over the trailing dims.
// lambda_next (optional, [T, ...] broadcastable): the lambda that carries
// A[t + 1] back into A[t], per step and column. With 1 at the steps where a
// user does not decide, V of those in-between states cancels out and the
// advantage of a decision is the Monte-Carlo return up to the user's next
// decision, bootstrapped there: GAE over decisions (a semi-MDP view).
GaeResult compute_gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& last_value,
                      const torch::Tensor& terminated, const torch::Tensor& truncated,
                      const torch::Tensor& trunc_value, double gamma, double lambda,
                      const torch::Tensor& lambda_next = {});

}  // namespace mecrl::agents
