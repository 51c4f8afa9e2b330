#include "agents/lagrangian.h"

namespace mecrl::agents {

LagrangeImpl::LagrangeImpl(const LagrangianConfig& cfg, int64_t c) : mode(cfg.mode), costs(c) {
  auto init = torch::zeros({c});
  auto lim = torch::zeros({c});
  auto step = torch::full({c}, 0.05);
  auto marg = torch::zeros({c});
  for (int64_t k = 0; k < c; ++k) {
    if (k < static_cast<int64_t>(cfg.lambda_init.size())) init[k] = cfg.lambda_init[k];
    if (k < static_cast<int64_t>(cfg.limits.size())) lim[k] = cfg.limits[k];
    if (k < static_cast<int64_t>(cfg.lr.size())) step[k] = cfg.lr[k];
    if (k < static_cast<int64_t>(cfg.margin.size())) marg[k] = cfg.margin[k];
  }
  lambda = register_buffer("lambda", init);
  limits = register_buffer("limits", lim);
  lr = register_buffer("lr", step);
  margin = register_buffer("margin", marg);
  cost_stats = register_module("cost_stats", RunningMeanStd(std::max<int64_t>(c, 1)));
}

void LagrangeImpl::update(const torch::Tensor& mean_cost, const torch::Tensor& step_costs, const torch::Tensor& valid) {
  if (costs == 0) return;
  torch::NoGradGuard no_grad;
  cost_stats->update(step_costs.reshape({-1, costs}).abs());
  if (mode != "lagrangian") return;
  const auto scale = (cost_stats->mean + 1e-12).to(lambda.dtype());
  auto next = (lambda + lr * ((mean_cost.to(lambda.dtype()) - limits) / scale + margin)).clamp_min(0.0);
  if (valid.defined()) next = torch::where(valid.to(lambda.device()), next, lambda);
  lambda.copy_(next);
}

torch::Tensor LagrangeImpl::combine(const torch::Tensor& adv) const {
  if (!active()) return adv.select(-1, 0);
  const auto lam = lambda.to(adv.dtype());
  const auto cost_adv = adv.narrow(-1, 1, costs);
  return (adv.select(-1, 0) - (cost_adv * lam).sum(-1)) / (1 + lam.sum());
}

}  // namespace mecrl::agents
