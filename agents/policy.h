// The actor-critic for many-user cells (spec agents.md §1).
//
// Actor: one MLP shared by every user (parameter sharing): a user's
// observation row [F] -> A logits; inactive users are masked by the caller.
// Critic, per `critic`:
//   user: the same MLP shape per user row -> K values            [B, U, K]
//   cell: per-user embedding, mean- and max-pooled over the cell's
//         users, then an MLP -> K values for the cell             [B, 1, K]
// K = 1 (reward) + one head per constraint cost when constraints are on.
// Observation normalisation lives here (buffers), so a checkpoint or an
// export carries it with the weights.
#pragma once

#include <string>

#include <torch/torch.h>

#include "agents/policy_spec.h"
#include "agents/running_stats.h"

namespace mecrl::agents {

struct ActorCriticImpl : torch::nn::Module {
  explicit ActorCriticImpl(const PolicySpec& spec);

  torch::Tensor norm(const torch::Tensor& obs) const;  // applies the running stats if enabled
  // obs: [..., F] raw -> logits [..., A] (action_mask [..., A] uint8/bool: 0 = forbidden)
  torch::Tensor logits(const torch::Tensor& obs, const torch::Tensor& action_mask = {});
  // Logits of the acting distribution (spec.exploration_floor = eps): the
  // masked logits themselves when eps = 0 (bit for bit), else log pi_eps
  // (floored_log_probs). Sampling, log-probabilities, entropy and the PPO
  // ratio all go through this, so the loss is the loss of the mixed policy.
  torch::Tensor dist_logits(const torch::Tensor& obs, const torch::Tensor& action_mask = {});
  // obs: [B, U, F] raw -> values [B, Uv, K], Uv = U (user critic) or 1 (cell critic)
  torch::Tensor values(const torch::Tensor& obs);
  int64_t value_users() const { return spec.critic == "cell" ? 1 : spec.users; }

  PolicySpec spec;
  torch::nn::Sequential actor{nullptr};
  torch::nn::Sequential critic_body{nullptr};  // per-user rows
  torch::nn::Sequential critic_head{nullptr};  // cell: after pooling
  RunningMeanStd obs_rms{nullptr};
};
TORCH_MODULE(ActorCritic);

// Orthogonal weights with `gain`, zero bias (CleanRL's layer_init).
torch::nn::Linear init_linear(int64_t in, int64_t out, double gain);

// log pi_eps [..., A] for pi_eps = (1 - eps) softmax(logits) + eps u, u
// uniform over the allowed actions (all of them when a row allows none, as
// softmax then is): every allowed action keeps probability >= eps / A, a
// forbidden one stays at ~0. Computed as logaddexp(log(1 - eps) +
// log_softmax, log(eps u)), finite everywhere. allowed: [..., A] bool or undefined.
torch::Tensor floored_log_probs(const torch::Tensor& logits, const torch::Tensor& allowed, double eps);

// Masked categorical helpers over the last dimension. They take logits or
// normalised log-probabilities alike (a constant per row changes nothing).
torch::Tensor log_prob_of(const torch::Tensor& logits, const torch::Tensor& actions);  // actions [...] int64
torch::Tensor entropy_of(const torch::Tensor& logits);
// Gumbel-max sample (equivalent to sampling softmax(logits)) from the given
// uniforms u (same shape as logits), or from torch's generator.
torch::Tensor gumbel_argmax(const torch::Tensor& logits, const torch::Tensor& u);
torch::Tensor sample_actions(const torch::Tensor& logits);
// One-hot of actions [...] over A classes as float32 [..., A], by comparison
// (torch::one_hot checks its input's range on the host: a synchronisation).
torch::Tensor one_hot_f(const torch::Tensor& actions, int64_t A);

}  // namespace mecrl::agents
