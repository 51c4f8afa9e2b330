// Where this process sits in a data-parallel run, read from the environment
// the way the ecosystem's launchers set it (no LibTorch here: apps/ reads it
// too, for `mecrl train --nproc`):
//   torchrun / `mecrl train --nproc N`: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
//                                        MASTER_ADDR, MASTER_PORT
//   Slurm (srun):                        SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID,
//                                        SLURM_NTASKS_PER_NODE
//                                        (+ MASTER_ADDR / MASTER_PORT, or this node)
// Neither set: one process, world size 1.
#pragma once

#include <string>

namespace mecrl::agents {

struct DistEnv {
  int rank = 0;        // 0 .. world_size - 1
  int world_size = 1;  // processes training one policy
  int local_rank = 0;  // rank on this node: picks cuda:LOCAL_RANK
  int local_world_size = 1;  // ranks on this node (LOCAL_WORLD_SIZE, SLURM_NTASKS_PER_NODE): shares the cores
  std::string master_addr = "127.0.0.1";  // rank 0's TCPStore (rendezvous)
  int master_port = 29500;                // torchrun's default
  std::string launcher = "single";        // single | torchrun | slurm (for messages)
  bool distributed() const { return world_size > 1; }
};

// Throws UsageError (one line naming the variable and its allowed range) on a
// malformed or inconsistent value (RANK >= WORLD_SIZE, a port out of 1..65535).
DistEnv read_dist_env();

// One GPU per rank of a node, as NCCL wants it: before CUDA starts, narrows
// CUDA_VISIBLE_DEVICES to the node's LOCAL_RANK-th GPU (of all GPUs when it
// is unset, of its list when it names several; a list of one, e.g. Slurm's
// --gpus-per-task=1, is kept). The rank's GPU is then cuda:0 in-process
// (the device the env backend and the learners use), and NCCL still finds
// its NVLink peers by bus id. Nothing for world size 1. Throws UsageError
// when the list has fewer GPUs than LOCAL_RANK needs.
void bind_rank_gpu(const DistEnv& d);

}  // namespace mecrl::agents
