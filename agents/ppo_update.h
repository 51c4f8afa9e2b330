// The PPO update (CleanRL's ppo.py, update phase): epochs of shuffled
// minibatches over one kind of actor row and one kind of critic row, for real
// and imagined data alike. Padding rows carry weight 0, so every shape is
// known without reading the device; nothing here synchronises with the host
// (gradient clipping included) unless ppo.target_kl asks for early stops.
#pragma once

#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/distributed.h"
#include "agents/policy.h"

namespace mecrl::agents {

// Rows of the actor loss: one per decision.
struct DecisionBatch {
  torch::Tensor obs;      // [R, F] float32, raw
  torch::Tensor mask;     // [R, A] bool: allowed actions
  torch::Tensor actions;  // [R] int64
  torch::Tensor logp;     // [R] float32: behaviour log-probability
  torch::Tensor adv;      // [R] float32: advantage, heads combined
  torch::Tensor weight;   // [R] float32: 1 = a decision, 0 = padding
  int64_t rows() const { return obs.defined() ? obs.size(0) : 0; }
};

// Rows of the critic loss: one per (slot, cell).
struct ValueBatch {
  torch::Tensor obs;      // [B, U, F] float32, raw
  torch::Tensor values;   // [B, Uv, K] float32: V at collection
  torch::Tensor returns;  // [B, Uv, K] float32: targets
  torch::Tensor weight;   // [B, Uv] float32: 0 = a padding user (train.num_users), or undefined (all 1)
  int64_t rows() const { return obs.defined() ? obs.size(0) : 0; }
};

// Imagined rows join each minibatch's real rows, each weighing a device-side
// `weight` (w_im times the world model's weight, 0..1) where a real row
// weighs 1; a zero weight costs no host read.
struct WeightedData {
  DecisionBatch actor;
  ValueBatch critic;
  torch::Tensor weight;  // [] float32
};

// Device scalars (means over minibatches), for the iteration's metrics.
struct UpdateStats {
  torch::Tensor policy_loss, value_loss, entropy, approx_kl, old_approx_kl, clipfrac;
  torch::Tensor grad_norm;      // mean pre-clip gradient norm
  torch::Tensor grad_norm_max;  // largest pre-clip gradient norm
};

// Scales gradients so their global 2-norm is at most max_norm (PyTorch's
// clip_grad_norm_, without its host read). Returns the pre-clip norm.
torch::Tensor clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

// Data-parallel (comm active): each rank's minibatch k is its own rows'
// slice k; the gradients are averaged across ranks before clipping, and the
// early-stop KL is the ranks' mean, so every rank steps alike.
UpdateStats ppo_update(ActorCritic& policy, torch::optim::Optimizer& opt, const PpoConfig& p,
                       const DecisionBatch& actor, const ValueBatch& critic, const WeightedData* imagined,
                       Communicator* comm = nullptr);

}  // namespace mecrl::agents
