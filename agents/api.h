// What apps/ may ask of the learners, without including LibTorch: training
// a policy and loading a trained one as an ActFn. Implemented by
// learned_policy.cpp / train_entry.cpp, or by no_torch.cpp when the project
// is configured without LibTorch.
#pragma once

#include <string>
#include <vector>

#include "agents/agent_config.h"
#include "core/config.h"
#include "envs/vec_env.h"

namespace mecrl::agents {

bool available();

// Trains on `env` into run_dir (resume: continue run_dir/checkpoints/last).
void train(VecEnv& env, const AgentConfig& cfg, const std::vector<ResolvedKey>& resolved, const std::string& run_dir,
           bool resume);

// True if `path` looks like a checkpoint directory (has trainer.json).
bool is_checkpoint(const std::string& path);
// A trained policy as an ActFn: argmax (deterministic) or sampled actions.
// Throws UsageError if the checkpoint is unreadable or does not fit the env.
ActFn load_policy(const std::string& checkpoint_dir, bool deterministic);

}  // namespace mecrl::agents
