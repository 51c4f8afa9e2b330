#include "agents/gae.h"

namespace mecrl::agents {

namespace {
// [T, E] -> [T, E, 1, ...] to broadcast against [T, E, ...].
torch::Tensor expand_flags(const torch::Tensor& f, const torch::Tensor& like) {
  auto x = f.to(like.dtype());
  while (x.dim() < like.dim()) x = x.unsqueeze(-1);
  return x;
}
}  // namespace

GaeResult compute_gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& last_value,
                      const torch::Tensor& terminated, const torch::Tensor& truncated,
                      const torch::Tensor& trunc_value, double gamma, double lambda,
                      const torch::Tensor& lambda_next) {
  torch::NoGradGuard no_grad;
  const int64_t T = rewards.size(0);
  const auto term = expand_flags(terminated, rewards);
  const auto trunc = expand_flags(truncated, rewards);
  auto adv = torch::zeros_like(rewards);
  auto next_adv = torch::zeros_like(last_value);
  for (int64_t t = T - 1; t >= 0; --t) {
    const auto v_next = t == T - 1 ? last_value : values[t + 1];
    // bootstrap: 0 if terminated, V(final obs) if truncated, else V(s_{t+1})
    const auto boot = (1 - term[t]) * (trunc[t] * trunc_value[t] + (1 - trunc[t]) * v_next);
    const auto delta = rewards[t] + gamma * boot - values[t];
    const auto cont = (1 - term[t]) * (1 - trunc[t]);  // the episode goes on past t
    next_adv = lambda_next.defined() ? delta + gamma * lambda_next[t] * cont * next_adv
                                     : delta + gamma * lambda * cont * next_adv;
    adv[t].copy_(next_adv);
  }
  return GaeResult{adv, adv + values};
}

}  // namespace mecrl::agents
