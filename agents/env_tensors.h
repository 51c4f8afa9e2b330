// Torch views of a VecEnv's step buffers: same memory, same device, no copy.
#pragma once

#include <torch/torch.h>

#include "envs/vec_env.h"

namespace mecrl::agents {

struct EnvTensors {
  torch::Tensor obs;          // [E, U, F] float32
  torch::Tensor final_obs;    // [E, U, F] float32
  torch::Tensor active;       // [E, U] uint8
  torch::Tensor action_mask;  // [E, U, A] uint8
  torch::Tensor reward;       // [E] float32
  torch::Tensor reward_user;  // [E, U] float32
  torch::Tensor costs;        // [E, C] float32
  torch::Tensor costs_user;   // [E, U, C] float32
  torch::Tensor terminated;   // [E] uint8
  torch::Tensor truncated;    // [E] uint8
  torch::Tensor decisions;    // [E] int32
  torch::Tensor ep_return;    // [E] float32
  torch::Tensor ep_length;    // [E] int32
  torch::Tensor ep_costs;     // [E, C] float32
  torch::Tensor ep_info;      // [E, I] float32
  torch::Device device{torch::kCPU};
};

torch::Device torch_device(Device d);
EnvTensors wrap_env(VecEnv& env);

}  // namespace mecrl::agents
