// What a checkpoint must hold beyond a matching CRC (agents/checkpoint.cpp
// runs these after the manifest checks). A CRC only proves the bytes are the
// ones the manifest lists; a forged or buggy file can list garbage. Each
// check throws UsageError naming the file and the field. No LibTorch here.
#pragma once

#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/safetensors.h"

namespace mecrl::agents {

// A manifest entry names a plain file of the checkpoint directory:
// model.safetensors, extra.safetensors, env_state.bin or <name>.pt.
bool is_checkpoint_file_name(const std::string& name);

// trainer.json's counters and fields: types, and the ranges a run produces
// (0 <= iteration <= num_iterations, global_step a multiple of iteration, ...).
void check_trainer_json(const nlohmann::json& trainer, const std::string& origin);

// Every tensor: a dtype checkpoints use (F32, F64, I64, I32, U8) and finite
// floating-point values (a NaN weight means the run had diverged).
void check_tensors(const std::map<std::string, TensorBlob>& tensors, const std::string& origin);

// The first tensor holding NaN or inf and how many such values it holds
// (count 0: none).
std::pair<std::string, int64_t> first_non_finite(const std::map<std::string, TensorBlob>& tensors);

// The trainer's tensors in extra.safetensors (trainer.ep_step: I64 [num_envs], >= 0).
void check_trainer_tensors(const std::map<std::string, TensorBlob>& extra, int64_t num_envs,
                           const std::string& origin);

// The world model's replay in extra.safetensors ("replay.<k>.<field>",
// k = 0, 1, ...): every field of a rollout present, with the dtypes and the
// shapes agents/rollout.h gives them for E = num_envs, U users, F features
// and A actions ([T, E, U, F] observations, ...), T the same across fields;
// the reward streams as "rewards" (scaled) or "raw_rewards" (wm.raw_targets).
void check_replay_tensors(const std::map<std::string, TensorBlob>& extra, int64_t num_envs, int64_t users,
                          int64_t features, int64_t actions, const std::string& origin);

}  // namespace mecrl::agents
