// The collectives data-parallel training needs, on torch.distributed's c10d
// (ProcessGroupGloo over a TCPStore rendezvous; no networking of our own).
// process_group_gloo.cpp implements them where this LibTorch has c10d's Gloo
// headers (MECRL_DISTRIBUTED), process_group_none.cpp elsewhere (world size 1
// only: opening a group fails with the reason). agents/distributed.h builds
// the trainer's operations (gradient averaging, merged statistics) on these.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/dist_env.h"

namespace mecrl::agents::pg {

struct Group;  // an open process group (opaque: c10d types stay in one file)

// Whether this build can open a group with world size > 1, and why not.
bool available();
std::string unavailable_reason();

// Rendezvous with the other ranks at d.master_addr:d.master_port (rank 0
// hosts the store). Every collective after it fails within timeout_s when a
// peer is gone. Throws UsageError when !available(), IoError when the
// rendezvous does not complete in time.
std::shared_ptr<Group> open(const DistEnv& d, double timeout_s);

enum class Op { Sum, Max };
// In place, on a contiguous CPU tensor. Throws IoError naming the rank when a
// peer died or the timeout passed.
void all_reduce(Group& g, torch::Tensor& t, Op op);
void broadcast(Group& g, torch::Tensor& t, int root);
// Every rank's `t` (same shape on all ranks), in rank order.
std::vector<torch::Tensor> all_gather(Group& g, const torch::Tensor& t);

}  // namespace mecrl::agents::pg
