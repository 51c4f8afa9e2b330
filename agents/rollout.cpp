#include "agents/rollout.h"

namespace mecrl::agents {

Rollout Rollout::allocate(int64_t T, int64_t E, int64_t U, int64_t F, int64_t A, int64_t C, int64_t Uv, int64_t K,
                          int64_t D, torch::Device device) {
  const auto f = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  const auto b = torch::TensorOptions().dtype(torch::kBool).device(device);
  const auto l = torch::TensorOptions().dtype(torch::kInt64).device(device);
  Rollout r;
  r.obs = torch::zeros({T, E, U, F}, f);
  r.next_obs = torch::zeros({T, E, U, F}, f);
  r.active = torch::zeros({T, E, U}, b);
  r.next_active = torch::zeros({T, E, U}, b);
  r.action_mask = torch::ones({T, E, U, A}, b);
  r.actions = torch::zeros({T, E, U}, l);
  r.values = torch::zeros({T, E, Uv, K}, f);
  r.rewards = torch::zeros({T, E, Uv, K}, f);
  r.raw_costs = torch::zeros({T, E, C}, f);
  r.terminated = torch::zeros({T, E}, b);
  r.truncated = torch::zeros({T, E}, b);
  r.trunc_values = torch::zeros({T, E, Uv, K}, f);
  r.joint = torch::zeros({T, E, std::max<int64_t>(A - 1, 1)}, f);
  r.warm = torch::zeros({T, E}, b);
  r.dec_rows = torch::zeros({T, 0}, l);
  r.resize_decisions(D);
  return r;
}

void Rollout::resize_decisions(int64_t D) {
  const int64_t T = obs.size(0);
  const auto f = obs.options();
  const auto l = f.dtype(torch::kInt64);
  dec_rows = torch::zeros({T, D}, l);
  dec_valid = torch::zeros({T, D}, f.dtype(torch::kBool));
  dec_actions = torch::zeros({T, D}, l);
  dec_logp = torch::zeros({T, D}, f);
}

void Rollout::keep_raw_rewards() { raw_rewards = torch::zeros_like(rewards); }

}  // namespace mecrl::agents
