// The collectives data-parallel training needs, on torch.distributed's c10d
// (no networking of our own): ranks on a GPU use ProcessGroupNCCL, ranks on
// the CPU ProcessGroupGloo, both after a TCPStore rendezvous at rank 0
// (docs/architecture.md, "Data-parallel training"). process_group.cpp picks
// the backend; process_group_gloo.cpp / process_group_nccl.cpp are built
// where this LibTorch has the backend's headers (agents/CMakeLists.txt says
// which, and why not). agents/distributed.h builds the trainer's operations
// (gradient averaging, merged statistics) on these.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/dist_env.h"

namespace mecrl::agents::pg {

struct Group;  // an open process group (opaque: c10d types stay in the backends' files)

enum class Backend { Gloo, Nccl };
const char* backend_name(Backend b);  // "gloo" | "nccl", as torch.distributed names them
// NCCL for a rank on a CUDA device, Gloo for a rank on the CPU.
Backend backend_for(const torch::Device& device);

// Whether this build can open a group of backend `b`, and why not.
bool available(Backend b);
std::string unavailable_reason(Backend b);

// Rendezvous with the other ranks at d.master_addr:d.master_port (rank 0
// hosts the store) for collectives on `device` (this rank's training
// device; NCCL makes it the current CUDA device). Every collective after it
// fails within timeout_s when a peer is gone. Throws UsageError when the
// backend `device` needs is not in this build, IoError when the rendezvous
// does not complete in time.
std::shared_ptr<Group> open(const DistEnv& d, double timeout_s, const torch::Device& device);

Backend backend(const Group& g);
// Where the tensors of g's collectives must be (the CPU for Gloo, the
// rank's GPU for NCCL).
torch::Device device(const Group& g);

enum class Op { Sum, Max };
// In place, on a contiguous tensor on device(g). Throws IoError naming the
// rank when a peer died or the timeout passed.
void all_reduce(Group& g, torch::Tensor& t, Op op);
void broadcast(Group& g, torch::Tensor& t, int root);
// Every rank's `t` (same shape on all ranks, on device(g)), in rank order.
std::vector<torch::Tensor> all_gather(Group& g, const torch::Tensor& t);

}  // namespace mecrl::agents::pg
