#include "agents/policy.h"

#include <cmath>

namespace mecrl::agents {

torch::nn::Linear init_linear(int64_t in, int64_t out, double gain) {
  torch::nn::Linear l(in, out);
  torch::NoGradGuard no_grad;
  torch::nn::init::orthogonal_(l->weight, gain);
  torch::nn::init::zeros_(l->bias);
  return l;
}

ActorCriticImpl::ActorCriticImpl(const PolicySpec& s) : spec(s) {
  const double root2 = std::sqrt(2.0);
  const int64_t f = s.features, h = s.hidden;
  actor = register_module("actor", torch::nn::Sequential(init_linear(f, h, root2), torch::nn::Tanh(),
                                                         init_linear(h, h, root2), torch::nn::Tanh(),
                                                         init_linear(h, s.actions, 0.01)));
  if (s.critic == "cell") {
    critic_body = register_module("critic_body", torch::nn::Sequential(init_linear(f, h, root2), torch::nn::Tanh(),
                                                                       init_linear(h, h, root2), torch::nn::Tanh()));
    critic_head = register_module("critic_head", torch::nn::Sequential(init_linear(2 * h, h, root2), torch::nn::Tanh(),
                                                                       init_linear(h, s.value_heads, 1.0)));
  } else {
    critic_body = register_module("critic_body", torch::nn::Sequential(init_linear(f, h, root2), torch::nn::Tanh(),
                                                                       init_linear(h, h, root2), torch::nn::Tanh(),
                                                                       init_linear(h, s.value_heads, 1.0)));
  }
  obs_rms = register_module("obs_rms", RunningMeanStd(f));
}

torch::Tensor ActorCriticImpl::norm(const torch::Tensor& obs) const {
  return spec.norm_obs ? obs_rms->normalize(obs) : obs;
}

torch::Tensor ActorCriticImpl::logits(const torch::Tensor& obs, const torch::Tensor& action_mask) {
  auto z = actor->forward(norm(obs));
  if (action_mask.defined()) z = z.masked_fill(action_mask.logical_not(), -1e8);
  return z;
}

torch::Tensor ActorCriticImpl::dist_logits(const torch::Tensor& obs, const torch::Tensor& action_mask) {
  const auto z = logits(obs, action_mask);
  if (spec.exploration_floor == 0) return z;
  return floored_log_probs(z, action_mask.defined() ? action_mask.to(torch::kBool) : torch::Tensor(),
                           spec.exploration_floor);
}

torch::Tensor ActorCriticImpl::values(const torch::Tensor& obs) {
  const auto x = norm(obs);  // [B, U, F]
  if (spec.critic == "cell") {
    const auto emb = critic_body->forward(x);  // [B, U, H]
    const auto pooled = torch::cat({emb.mean(1), std::get<0>(emb.max(1))}, -1);
    return critic_head->forward(pooled).unsqueeze(1);  // [B, 1, K]
  }
  return critic_body->forward(x);  // [B, U, K]
}

torch::Tensor floored_log_probs(const torch::Tensor& logits, const torch::Tensor& allowed, double eps) {
  const auto logp = torch::log_softmax(logits, -1);
  torch::Tensor u;  // [..., A] the floor's uniform distribution
  if (allowed.defined()) {
    const auto ok = allowed.expand_as(logits).logical_or(allowed.logical_not().all(-1, true));
    const auto okf = ok.to(logp.dtype());
    u = okf / okf.sum(-1, true);
  } else {
    u = torch::full_like(logp, 1.0 / static_cast<double>(logits.size(-1)));
  }
  return torch::logaddexp(logp + std::log1p(-eps), torch::log(u * eps));  // log(0) = -inf: logaddexp ignores it
}

torch::Tensor log_prob_of(const torch::Tensor& logits, const torch::Tensor& actions) {
  return torch::log_softmax(logits, -1).gather(-1, actions.unsqueeze(-1)).squeeze(-1);
}

torch::Tensor entropy_of(const torch::Tensor& logits) {
  const auto logp = torch::log_softmax(logits, -1);
  return -(logp.exp() * logp).sum(-1);
}

torch::Tensor gumbel_argmax(const torch::Tensor& logits, const torch::Tensor& u) {
  return (logits - torch::log(-torch::log(u.clamp(1e-20, 1.0)))).argmax(-1);
}

torch::Tensor sample_actions(const torch::Tensor& logits) { return gumbel_argmax(logits, torch::rand_like(logits)); }

torch::Tensor one_hot_f(const torch::Tensor& actions, int64_t A) {
  const auto classes = torch::arange(A, actions.options().dtype(torch::kInt64));
  return (actions.unsqueeze(-1) == classes).to(torch::kFloat32);
}

}  // namespace mecrl::agents
