// Inside process_group.h: the group every backend implements, and the
// backends' entry points (declared here, defined only where built: see
// MECRL_C10D_GLOO / MECRL_C10D_NCCL in agents/CMakeLists.txt). No c10d
// types here: process_group.cpp compiles in every LibTorch build.
#pragma once

#include <memory>
#include <vector>

#include <torch/torch.h>

#include "agents/dist_env.h"
#include "agents/process_group.h"

namespace mecrl::agents::pg {

struct Group {
  Group(Backend b, torch::Device dev) : backend(b), device(dev) {}
  virtual ~Group() = default;
  virtual void all_reduce(torch::Tensor& t, Op op) = 0;
  virtual void broadcast(torch::Tensor& t, int root) = 0;
  virtual std::vector<torch::Tensor> all_gather(const torch::Tensor& t) = 0;
  const Backend backend;
  const torch::Device device;
};

// process_group_gloo.cpp: CPU tensors.
std::shared_ptr<Group> open_gloo(const DistEnv& d, double timeout_s);
// process_group_nccl.cpp: tensors on cuda:device_index.
std::shared_ptr<Group> open_nccl(const DistEnv& d, double timeout_s, int device_index);

}  // namespace mecrl::agents::pg
