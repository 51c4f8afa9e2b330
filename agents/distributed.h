// Data-parallel training (DD-PPO style) as the trainer sees it: every rank
// steps its own envs, and at a few points the ranks agree (process_group.h
// carries the bytes):
//   - gradients, averaged every minibatch through one flat buffer, so every
//     rank takes the same optimiser step and the weights stay identical;
//   - running statistics (observation and return normalisers, constraint
//     cost scales) merged from every rank's batch;
//   - the iteration's metrics (sums, maxima, means) and early-stop KL;
//   - checkpoint state only a rank has (its envs), gathered to rank 0, which
//     alone writes the run directory.
// The collectives run where the group's backend wants the tensors (NCCL: the
// rank's GPU, Gloo: the CPU); a tensor elsewhere goes there and back.
// A default-constructed Communicator is world size 1: every call is free and
// leaves the numbers bit for bit as they were.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/dist_env.h"

namespace mecrl::agents {

namespace pg {
struct Group;
}

class Communicator {
 public:
  Communicator() = default;
  // Opens the process group when d.world_size > 1, for a rank training on
  // `device` (NCCL on a GPU, Gloo on the CPU; see pg::open for errors).
  Communicator(const DistEnv& d, double timeout_s, const torch::Device& device);

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  bool active() const { return group_ != nullptr; }
  bool writer() const { return env_.rank == 0; }  // writes the run directory

  // Averages the gradients of `params` over the ranks (one coalesced
  // all-reduce; a parameter without a gradient counts as zeros).
  void average_gradients(const std::vector<torch::Tensor>& params);
  // In place, any dtype and device.
  void sum(torch::Tensor& t);
  void max(torch::Tensor& t);
  torch::Tensor mean(const torch::Tensor& t);
  // Rank 0's values into every rank's tensors (in place).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  std::string broadcast_string(const std::string& from_rank0);
  bool broadcast_flag(bool from_rank0);  // a host decision rank 0 takes for all
  // Every rank's bytes, in rank order.
  std::vector<std::string> all_gather_bytes(const std::string& mine);

 private:
  DistEnv env_;
  std::shared_ptr<pg::Group> group_;
};

}  // namespace mecrl::agents
