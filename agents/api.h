// What apps/ may ask of the learners, without including LibTorch: training
// a policy and loading a trained one as an ActFn. Implemented by
// learned_policy.cpp / train_entry.cpp, or by no_torch.cpp when the project
// is configured without LibTorch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agents/agent_config.h"
#include "agents/dist_env.h"
#include "core/config.h"
#include "envs/vec_env.h"

namespace mecrl::agents {

bool available();

class Communicator;  // agents/distributed.h: this rank's link to the others
// Joins the data-parallel run `d` describes (torchrun / Slurm variables, see
// agents/dist_env.h) as a rank training on `device` (GPU ranks talk over
// NCCL, CPU ranks over Gloo); world size 1 joins nothing. Throws UsageError
// when this build cannot (no LibTorch, or not the backend: the reason is
// named), IoError when the rendezvous fails within timeout_s.
std::shared_ptr<Communicator> join_ranks(const DistEnv& d, double timeout_s, Device device);
// Why this build cannot run data-parallel ranks on `device` ("" when it can).
std::string data_parallel_unavailable(Device device);
// Rank 0's `text` on every rank (the run directory it created).
std::string from_rank0(Communicator* comm, const std::string& text);

// Trains on `env` into run_dir (resume: continue run_dir/checkpoints/last).
// With `comm`, `env` holds this rank's envs and rank 0 alone writes run_dir.
// Returns 0, or the SIGINT/SIGTERM that stopped it early with a checkpoint
// (the caller holds a StopSignalScope, core/stop_signal.h).
int train(VecEnv& env, const AgentConfig& cfg, const std::vector<ResolvedKey>& resolved, const std::string& run_dir,
           bool resume, std::shared_ptr<Communicator> comm = nullptr);

// True if `path` looks like a checkpoint directory (has trainer.json).
bool is_checkpoint(const std::string& path);
// A trained policy as an ActFn: argmax (deterministic) or sampled actions.
// Throws UsageError if the checkpoint is unreadable or does not fit the env.
ActFn load_policy(const std::string& checkpoint_dir, bool deterministic);

}  // namespace mecrl::agents
