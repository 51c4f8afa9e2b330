// Running statistics kept as module buffers (so they are checkpointed and
// exported with the weights) and updated with tensor ops only (no host sync).
#pragma once

#include <torch/torch.h>

#include "agents/distributed.h"

namespace mecrl::agents {

// Mean and variance per feature, merged batch by batch (Chan et al.'s
// parallel form of Welford's algorithm), float64 inside.
struct RunningMeanStdImpl : torch::nn::Module {
  explicit RunningMeanStdImpl(int64_t features = 1);
  // x: [..., features]. With an active `comm`, the batch is every rank's x
  // (count, mean and spread merged across ranks, two all-reduces).
  void update(const torch::Tensor& x, Communicator* comm = nullptr);
  // clamp((x - mean) / sqrt(var + eps), -clip, clip), in x's dtype
  torch::Tensor normalize(const torch::Tensor& x, double clip = 10.0, double eps = 1e-8) const;
  torch::Tensor mean, var, count;  // [F] f64, [F] f64, [] f64
};
TORCH_MODULE(RunningMeanStd);

// CleanRL's NormalizeReward: scale each stream by the std of its running
// discounted return. Streams are the last dimension (reward, then costs).
struct ReturnScalerImpl : torch::nn::Module {
  ReturnScalerImpl(int64_t envs = 1, int64_t streams = 1, double gamma = 0.99);
  // r: [envs, streams] raw; done: [envs] bool. Updates the statistics with
  // this step's returns G, then returns apply(r).
  torch::Tensor scale(const torch::Tensor& r, const torch::Tensor& done);
  // r: [..., streams] raw -> r / sqrt(var(G) + eps) with the statistics as
  // they stand (no update): how the world model's raw predictions are put
  // into the scale of the rollout's streams at imagination time.
  torch::Tensor apply(const torch::Tensor& r) const;
  torch::Tensor returns;  // [envs, streams] running discounted return
  RunningMeanStd stats{nullptr};
  double gamma;
  Communicator* comm = nullptr;  // data-parallel: the statistics see every rank's returns
};
TORCH_MODULE(ReturnScaler);

}  // namespace mecrl::agents
