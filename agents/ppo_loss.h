// The PPO loss terms (CleanRL ppo.py), as pure tensor functions so the
// tests can check them against hand-computed values.
#pragma once

#include <torch/torch.h>

namespace mecrl::agents {

struct PolicyLoss {
  torch::Tensor loss;      // clipped surrogate, to minimise
  torch::Tensor approx_kl; // mean((ratio - 1) - log ratio)
  torch::Tensor old_approx_kl;  // mean(-log ratio), CleanRL's first estimator
  torch::Tensor clipfrac;  // fraction with |ratio - 1| > clip
};

// All inputs [N]; weight [N] (1 = counts, 0 = masked out, or a sample weight).
PolicyLoss clipped_policy_loss(const torch::Tensor& new_logp, const torch::Tensor& old_logp,
                               const torch::Tensor& advantages, const torch::Tensor& weight, double clip);

// 0.5 * mean(max((v - R)^2, (v_old + clip(v - v_old, -c, c) - R)^2)), or the
// unclipped 0.5 * mean((v - R)^2) when clip_vloss is false; weighted mean.
torch::Tensor value_loss(const torch::Tensor& new_v, const torch::Tensor& old_v, const torch::Tensor& returns,
                         const torch::Tensor& weight, double clip, bool clip_vloss);

// (a - mean) / (std + 1e-8) over the entries with weight > 0 (unbiased std, like torch.std).
torch::Tensor normalize_advantages(const torch::Tensor& adv, const torch::Tensor& weight);

// sum(w x) / max(sum(w), eps): a mean that needs no host sync.
torch::Tensor weighted_mean(const torch::Tensor& x, const torch::Tensor& w);

}  // namespace mecrl::agents
