// Constraint handling for PPO-Lagrangian (spec agents.md §3): one multiplier
// per cost, lambda_c >= 0, updated by dual ascent after each iteration;
// `penalty` mode keeps the multipliers fixed at their initial values.
#pragma once

#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/running_stats.h"

namespace mecrl::agents {

struct LagrangeImpl : torch::nn::Module {
  LagrangeImpl(const LagrangianConfig& cfg, int64_t costs);

  bool active() const { return mode != "none" && costs > 0; }
  // lambda_c <- max(0, lambda_c + lr ((J_c - d_c) / s_c + m_c)): J_c is the mean
  // per-step cost of the iteration, s_c the running mean of |per-step cost|.
  // The ratio is a relative violation in [-1, 1] whatever the cost's units,
  // so one learning rate fits costs whose scales differ by orders of
  // magnitude (energy in J per slot vs an accuracy shortfall per completion);
  // m_c >= 0 is a safety margin on the same relative scale.
  // mean_cost [C]: J_c; step_costs [..., C]: the per-step costs behind it;
  // valid: bool scalar tensor, false = J_c measured nothing (an iteration
  // inside the warm-up), lambda kept. A tensor, so a GPU run needs no sync.
  void update(const torch::Tensor& mean_cost, const torch::Tensor& step_costs, const torch::Tensor& valid = {});
  // (A_r - sum_c lambda_c A_c) / (1 + sum_c lambda_c); heads on the last dim.
  torch::Tensor combine(const torch::Tensor& adv_heads) const;

  torch::Tensor lambda, limits, lr, margin;  // [C] float32 buffers
  RunningMeanStd cost_stats{nullptr};
  std::string mode;
  int64_t costs;
};
TORCH_MODULE(Lagrange);

}  // namespace mecrl::agents
