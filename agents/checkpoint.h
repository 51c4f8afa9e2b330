// Checkpoints: a directory `checkpoints/last/` replaced atomically (written
// to a temporary directory, then renamed into place), holding
//   model.safetensors   every module's parameters and buffers, by name
//   optimizer.safetensors     Adam's state (and wm_optimizer.safetensors for the
//                             world model's), named tensors: LibTorch's own archive
//                             reader is not safe on crafted input, ours is checked
//   env_state.bin       the simulator state (for an exact resume)
//   extra.safetensors   any other tensors (world-model replay)
//   trainer.json        counters, the policy spec, a manifest of sizes and
//                       CRC32C of every file (so truncation and corruption
//                       are caught with a clear message, never a crash)
// Loading checks the content beyond the CRC too (agents/checkpoint_check.h):
// counters in range, tensor dtypes, no NaN or inf anywhere, manifest entries
// that are plain files of the directory, optimiser states that fit the model.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "agents/checkpoint_files.h"
#include "agents/policy.h"
#include "agents/policy_spec.h"
#include "core/safetensors.h"

namespace mecrl::agents {

// An optimiser's state as named tensors, and the file it was read from (messages).
struct OptimizerTensors {
  std::map<std::string, TensorBlob> tensors;
  std::string origin;
};

struct CheckpointData {
  std::map<std::string, TensorBlob> model;   // "policy.actor.0.weight", ...
  std::map<std::string, TensorBlob> extra;
  std::map<std::string, OptimizerTensors> optimizers;  // name -> state (<name>.safetensors)
  std::string env_state;
  nlohmann::json trainer;  // counters (checked on load); "policy_spec" is required for eval
};

// Writes `data` to <dir> atomically (tmp sibling directory + rename). The
// temporary directories of earlier saves that were interrupted, by any
// process, are removed first; a failed save removes its own (a full disk
// stays as full as it was). Tensors holding NaN or inf are refused
// (UsageError): a diverged run keeps its last good checkpoint.
void save_checkpoint(const std::string& dir, const CheckpointData& data);
// Reads and verifies a checkpoint directory; throws UsageError naming the
// directory and the problem if anything is missing, truncated or corrupt.
CheckpointData load_checkpoint(const std::string& dir);

// Module <-> named tensors.
void add_module_tensors(std::map<std::string, TensorBlob>& out, const torch::nn::Module& m, const std::string& prefix);
void load_module_tensors(torch::nn::Module& m, const std::map<std::string, TensorBlob>& in, const std::string& prefix,
                         const std::string& origin);
TensorBlob to_blob(const torch::Tensor& t);
torch::Tensor from_blob_copy(const TensorBlob& b);

// Adam's state as named tensors: per group g "group<g>.lr", ".eps",
// ".weight_decay" F64 [1], ".betas" F64 [2], ".amsgrad" U8 [1]; per
// parameter k of the group that has taken a step, "group<g>.param<k>.step"
// I64 [1] and ".exp_avg", ".exp_avg_sq" (".max_exp_avg_sq" with amsgrad) F32
// of the parameter's shape. Exact: a resume continues bit for bit.
OptimizerTensors optimizer_tensors(torch::optim::Adam& opt);
// Loads a state into `opt` and checks it fits: every name known, one state
// per parameter of the parameter's shape, steps >= 0, options in range.
// Throws UsageError naming state.origin; `opt` is unusable after a throw.
void load_optimizer_tensors(torch::optim::Adam& opt, const OptimizerTensors& state);

}  // namespace mecrl::agents
