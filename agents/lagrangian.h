// Constraint handling for PPO-Lagrangian (spec agents.md §3): one multiplier
// per cost, lambda_c >= 0, updated after each iteration by a PID controller
// on the relative violation (Stooke, Achiam, Abbeel 2020, Algorithm 2; with
// kp = kd = 0 it is plain dual ascent); `penalty` mode keeps the multipliers
// fixed at their initial values.
//
// Population groups (train.num_users with G > 1 entries): one multiplier
// and one controller state per (group, cost), [G, C], each updated from its
// group's cells only and applied to its group's envs in combine(). A pooled
// J_c averages the small populations' slack with the large ones' violation,
// so the pooled constraint holds while the large-N cells break it
// (docs/architecture.md, "Lagrange multipliers per population"). With one
// group the state keeps its pooled shape [C] (and the old checkpoints).
#pragma once

#include <vector>

#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/running_stats.h"

namespace mecrl::agents {

struct LagrangeImpl : torch::nn::Module {
  // group_envs: envs per population group, groups contiguous in env order
  // (population_group_sizes); empty or one entry = one pooled group.
  LagrangeImpl(const LagrangianConfig& cfg, int64_t costs, const std::vector<int>& group_envs = {});

  bool active() const { return mode != "none" && costs > 0; }
  int64_t groups() const { return env_group.defined() ? num_groups : 1; }
  // [E, ...] per env -> [G, ...] summed over each group's envs (G > 1 only).
  torch::Tensor sum_per_group(const torch::Tensor& per_env) const;
  // The multipliers as one [C] row: lambda itself for one group, else the
  // mean over envs of their group's lambda (what the average cell pays).
  torch::Tensor pooled_lambda() const;
  // With the relative violation v_c = (J_c - d_c) / s_c + m_c (J_c the mean
  // per-step cost of the iteration, s_c the running mean of |per-step cost|,
  // m_c >= 0 a safety margin on that scale), and its EMA vbar_c and the EMA
  // cbar_c of J_c / s_c (factor pid_smoothing):
  //   I_c      <- max(0, I_c + lr_c v_c)          (integral: dual ascent)
  //   lambda_c <- max(0, I_c + kp_c vbar_c + kd_c max(0, cbar_c - cbar_c,prev))
  // The ratio is a relative violation whatever the cost's units, so one gain
  // fits costs whose scales differ by orders of magnitude (energy in J per
  // slot vs an accuracy shortfall per completion). The P term reacts to a
  // violation at once and lets go as soon as it ends, where the integral
  // alone overshoots and oscillates; the D term brakes a rising cost.
  // mean_cost [C] ([G, C] with groups): J_c; step_costs [..., C]: the
  // per-step costs behind it (all groups: s_c is one unit per cost, pooled,
  // so the groups' violations are on one scale); valid: bool tensor, scalar
  // ([G] with groups), false = J_c measured nothing (an iteration inside the
  // warm-up), that lambda kept. A tensor, so a GPU run needs no sync.
  // Data-parallel: mean_cost and valid are every rank's already; comm merges
  // the cost scale's statistics.
  void update(const torch::Tensor& mean_cost, const torch::Tensor& step_costs, const torch::Tensor& valid = {},
              Communicator* comm = nullptr);
  // (A_r - sum_c lambda_c A_c) / (1 + sum_c lambda_c); heads on the last dim.
  // With groups, adv_heads is [..., E, Uv, K] and env e uses its group's lambda.
  torch::Tensor combine(const torch::Tensor& adv_heads) const;

  torch::Tensor lambda;                // [C] float32 buffer, [G, C] with groups
  torch::Tensor limits, lr, margin;    // [C] float32 buffers
  torch::Tensor kp, kd;                // [C] PID gains
  // Controller state, lambda's shape: integral I, EMA of v, EMA of J/s, and
  // whether an iteration has been seen (0/1: the EMAs start at the first one).
  torch::Tensor integral, violation_ema, cost_ema, seen;
  torch::Tensor env_group;  // [E] int64 group of each env (CPU), undefined for one group
  int64_t num_groups = 1;
  float smoothing = 0.9f;
  RunningMeanStd cost_stats{nullptr};
  std::string mode;
  int64_t costs;
};
TORCH_MODULE(Lagrange);

}  // namespace mecrl::agents
