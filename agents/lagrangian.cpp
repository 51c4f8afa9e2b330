#include "agents/lagrangian.h"

#include <stdexcept>

namespace mecrl::agents {

LagrangeImpl::LagrangeImpl(const LagrangianConfig& cfg, int64_t c, const std::vector<int>& group_envs)
    : mode(cfg.mode), costs(c) {
  auto init = torch::zeros({c});
  auto lim = torch::zeros({c});
  auto step = torch::full({c}, 0.05);
  auto marg = torch::zeros({c});
  auto p_gain = torch::zeros({c});
  auto d_gain = torch::zeros({c});
  for (int64_t k = 0; k < c; ++k) {
    if (k < static_cast<int64_t>(cfg.kp.size())) p_gain[k] = cfg.kp[k];
    if (k < static_cast<int64_t>(cfg.kd.size())) d_gain[k] = cfg.kd[k];
    if (k < static_cast<int64_t>(cfg.lambda_init.size())) init[k] = cfg.lambda_init[k];
    if (k < static_cast<int64_t>(cfg.limits.size())) lim[k] = cfg.limits[k];
    if (k < static_cast<int64_t>(cfg.lr.size())) step[k] = cfg.lr[k];
    if (k < static_cast<int64_t>(cfg.margin.size())) marg[k] = cfg.margin[k];
  }
  // One row per population group (the same initial state in each).
  std::vector<int64_t> state_shape{c};
  if (group_envs.size() > 1) {
    num_groups = static_cast<int64_t>(group_envs.size());
    std::vector<int64_t> of_env;
    for (int64_t g = 0; g < num_groups; ++g) of_env.insert(of_env.end(), group_envs[g], g);
    env_group = torch::tensor(of_env, torch::kInt64);
    init = init.unsqueeze(0).repeat({num_groups, 1});
    state_shape = {num_groups, c};
  }
  lambda = register_buffer("lambda", init);
  limits = register_buffer("limits", lim);
  lr = register_buffer("lr", step);
  margin = register_buffer("margin", marg);
  kp = register_buffer("kp", p_gain);
  kd = register_buffer("kd", d_gain);
  integral = register_buffer("integral", init.clone());  // lambda_init is where the integral starts
  violation_ema = register_buffer("violation_ema", torch::zeros(state_shape));
  cost_ema = register_buffer("cost_ema", torch::zeros(state_shape));
  seen = register_buffer("seen", torch::zeros(state_shape));
  smoothing = cfg.pid_smoothing;
  cost_stats = register_module("cost_stats", RunningMeanStd(std::max<int64_t>(c, 1)));
}

void LagrangeImpl::update(const torch::Tensor& mean_cost, const torch::Tensor& step_costs, const torch::Tensor& valid,
                          Communicator* comm) {
  if (costs == 0) return;
  torch::NoGradGuard no_grad;
  cost_stats->update(step_costs.reshape({-1, costs}).abs(), comm);
  if (mode != "lagrangian") return;
  const auto scale = (cost_stats->mean + 1e-12).to(lambda.dtype());
  const auto relative = mean_cost.to(lambda.dtype()) / scale;
  const auto v = relative - limits / scale + margin;
  // The EMAs start at the first iteration's values (no pull towards 0).
  const auto a = seen * smoothing;
  const auto v_ema = a * violation_ema + (1 - a) * v;
  const auto c_ema = a * cost_ema + (1 - a) * relative;
  const auto rise = torch::where(seen > 0, (c_ema - cost_ema).clamp_min(0.0), torch::zeros_like(c_ema));
  const auto next_integral = (integral + lr * v).clamp_min(0.0);
  const auto next = (next_integral + kp * v_ema + kd * rise).clamp_min(0.0);
  // An iteration inside the warm-up measured nothing: every state stays
  // (per group: [G] -> [G, 1] against the [G, C] state).
  auto keep = valid.defined() ? valid.to(lambda.device()).logical_not() : torch::zeros({}, torch::kBool);
  if (keep.dim() == 1 && lambda.dim() == 2) keep = keep.unsqueeze(-1);
  auto pick = [&](const torch::Tensor& now, const torch::Tensor& before) { return torch::where(keep, before, now); };
  violation_ema.copy_(pick(v_ema, violation_ema));
  cost_ema.copy_(pick(c_ema, cost_ema));
  integral.copy_(pick(next_integral, integral));
  lambda.copy_(pick(next, lambda));
  seen.copy_(pick(torch::ones_like(seen), seen));
}

torch::Tensor LagrangeImpl::sum_per_group(const torch::Tensor& per_env) const {
  auto sizes = per_env.sizes().vec();
  sizes[0] = num_groups;
  return torch::zeros(sizes, per_env.options()).index_add_(0, env_group.to(per_env.device()), per_env);
}

torch::Tensor LagrangeImpl::pooled_lambda() const {
  if (!env_group.defined()) return lambda;
  return lambda.index_select(0, env_group.to(lambda.device())).mean(0);
}

torch::Tensor LagrangeImpl::combine(const torch::Tensor& adv) const {
  if (!active()) return adv.select(-1, 0);
  const auto cost_adv = adv.narrow(-1, 1, costs);
  if (!env_group.defined()) {
    const auto lam = lambda.to(adv.dtype());
    return (adv.select(-1, 0) - (cost_adv * lam).sum(-1)) / (1 + lam.sum());
  }
  const int64_t E = env_group.size(0);
  if (adv.dim() < 3 || adv.size(-3) != E) {
    throw std::logic_error("Lagrange::combine: per-group multipliers need advantages [..., E, Uv, K]");
  }
  // [E, 1, C]: env e's row is its group's lambda, broadcast over its users.
  const auto lam = lambda.index_select(0, env_group.to(lambda.device())).to(adv.dtype()).unsqueeze(1);
  return (adv.select(-1, 0) - (cost_adv * lam).sum(-1)) / (1 + lam.sum(-1));
}

}  // namespace mecrl::agents
