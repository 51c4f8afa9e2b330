#include "agents/ppo_loss.h"

namespace mecrl::agents {

torch::Tensor weighted_mean(const torch::Tensor& x, const torch::Tensor& w) {
  return (x * w).sum() / w.sum().clamp_min(1e-8);
}

PolicyLoss clipped_policy_loss(const torch::Tensor& new_logp, const torch::Tensor& old_logp,
                               const torch::Tensor& advantages, const torch::Tensor& weight, double clip) {
  const auto log_ratio = new_logp - old_logp;
  const auto ratio = log_ratio.exp();
  const auto pg1 = -advantages * ratio;
  const auto pg2 = -advantages * ratio.clamp(1.0 - clip, 1.0 + clip);
  PolicyLoss out;
  out.loss = weighted_mean(torch::max(pg1, pg2), weight);
  torch::NoGradGuard no_grad;
  const auto on = (weight > 0).to(ratio.dtype());
  out.approx_kl = weighted_mean((ratio - 1) - log_ratio, on);
  out.old_approx_kl = weighted_mean(-log_ratio, on);
  out.clipfrac = weighted_mean(((ratio - 1.0).abs() > clip).to(ratio.dtype()), on);
  return out;
}

torch::Tensor value_loss(const torch::Tensor& new_v, const torch::Tensor& old_v, const torch::Tensor& returns,
                         const torch::Tensor& weight, double clip, bool clip_vloss) {
  const auto unclipped = (new_v - returns).pow(2);
  if (!clip_vloss) return 0.5 * weighted_mean(unclipped, weight);
  const auto v_clipped = old_v + (new_v - old_v).clamp(-clip, clip);
  const auto clipped = (v_clipped - returns).pow(2);
  return 0.5 * weighted_mean(torch::max(unclipped, clipped), weight);
}

torch::Tensor normalize_advantages(const torch::Tensor& adv, const torch::Tensor& weight) {
  const auto on = (weight > 0).to(adv.dtype());
  const auto n = on.sum();
  const auto mean = (adv * on).sum() / n.clamp_min(1);
  const auto var = ((adv - mean).pow(2) * on).sum() / (n - 1).clamp_min(1);
  return (adv - mean) / (var.sqrt() + 1e-8);
}

}  // namespace mecrl::agents
