// Checkpoints: a directory `checkpoints/last/` replaced atomically (written
// to a temporary directory, then renamed into place), holding
//   model.safetensors   every module's parameters and buffers, by name
//   optimizer.pt        LibTorch-serialised optimiser states
//   env_state.bin       the simulator state (for an exact resume)
//   extra.safetensors   any other tensors (world-model replay)
//   trainer.json        counters, the policy spec, a manifest of sizes and
//                       CRC32C of every file (so truncation and corruption
//                       are caught with a clear message, never a crash)
// Loading checks the content beyond the CRC too (agents/checkpoint_check.h):
// counters in range, tensor dtypes, no NaN or inf anywhere, manifest entries
// that are plain files of the directory, optimiser archives LibTorch can read.
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

// A serialised optimiser state, and the file it was read from (messages).
struct ArchiveBytes {
  ArchiveBytes(std::string b = {}, std::string from = {}) : bytes(std::move(b)), origin(std::move(from)) {}
  std::string bytes;
  std::string origin;
};

struct CheckpointData {
  std::map<std::string, TensorBlob> model;   // "policy.actor.0.weight", ...
  std::map<std::string, TensorBlob> extra;
  std::map<std::string, ArchiveBytes> optimizers;  // name -> serialized bytes (<name>.pt)
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

std::string serialize_optimizer(torch::optim::Optimizer& opt);
// Loads a state into `opt` and checks it fits: one state per parameter, of
// the parameter's shape, finite; positive learning rate and epsilon. Throws
// UsageError naming archive.origin; `opt` is unusable after a throw.
void deserialize_optimizer(torch::optim::Optimizer& opt, const ArchiveBytes& archive);

}  // namespace mecrl::agents
