#include "agents/env_tensors.h"

namespace mecrl::agents {

torch::Device torch_device(Device d) { return d == Device::Cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU); }

EnvTensors wrap_env(VecEnv& env) {
  const EnvDims& d = env.dims();
  const StepBuffers& b = env.buffers();
  EnvTensors t;
  t.device = torch_device(env.device());
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(t.device);
  const auto u8 = torch::TensorOptions().dtype(torch::kUInt8).device(t.device);
  const auto i32 = torch::TensorOptions().dtype(torch::kInt32).device(t.device);
  const int64_t E = d.num_envs, U = d.users, F = d.features, A = d.actions, C = d.costs, I = d.info;
  // from_blob needs non-null pointers even for empty tensors.
  auto view = [](void* p, std::vector<int64_t> shape, const torch::TensorOptions& o) {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n == 0 || !p ? torch::empty(shape, o) : torch::from_blob(p, shape, o);
  };
  t.obs = view(b.obs, {E, U, F}, f32);
  t.final_obs = view(b.final_obs, {E, U, F}, f32);
  t.active = view(b.active, {E, U}, u8);
  t.action_mask = view(b.action_mask, {E, U, A}, u8);
  t.reward = view(b.reward, {E}, f32);
  t.reward_user = view(b.reward_user, {E, U}, f32);
  t.costs = view(b.costs, {E, C}, f32);
  t.costs_user = view(b.costs_user, {E, U, C}, f32);
  t.terminated = view(b.terminated, {E}, u8);
  t.truncated = view(b.truncated, {E}, u8);
  t.decisions = view(b.decisions, {E}, i32);
  t.ep_return = view(b.ep_return, {E}, f32);
  t.ep_length = view(b.ep_length, {E}, i32);
  t.ep_costs = view(b.ep_costs, {E, C}, f32);
  t.ep_info = view(b.ep_info, {E, I}, f32);
  return t;
}

}  // namespace mecrl::agents
