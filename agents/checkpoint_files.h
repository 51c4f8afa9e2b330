// The LibTorch-free half of reading a checkpoint (layout: agents/checkpoint.h):
// trainer.json, checked to be a mecrl checkpoint, and the bytes of the files
// its manifest lists, checked against their size and CRC32C.
// agents/checkpoint.cpp decodes them into tensors; `mecrl export` reads the
// actor from model.safetensors with no LibTorch in the process.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mecrl::agents {

// 2: optimiser states as safetensors (1 had LibTorch archives, optimizer.pt).
inline constexpr const char* kCheckpointFormat = "mecrl-checkpoint-2";

// <dir>/trainer.json; throws UsageError naming the directory or file.
nlohmann::json read_checkpoint_meta(const std::string& dir);
// The verified bytes of a file listed in trainer.json's "files" manifest.
std::string read_checkpoint_file(const std::string& dir, const nlohmann::json& trainer, const std::string& name);

}  // namespace mecrl::agents
