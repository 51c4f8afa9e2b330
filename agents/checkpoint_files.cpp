#include "agents/checkpoint_files.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_manifest.h"

namespace fs = std::filesystem;

namespace mecrl::agents {

nlohmann::json read_checkpoint_meta(const std::string& dir) {
  const fs::path d(dir);
  if (!fs::is_directory(d)) throw UsageError(fmt::format("{}: not a checkpoint directory", dir));
  if (!fs::exists(d / "trainer.json")) {
    throw UsageError(fmt::format("{}: no trainer.json (not a checkpoint, or an interrupted write)", dir));
  }
  nlohmann::json trainer;
  try {
    trainer = nlohmann::json::parse(read_file((d / "trainer.json").string()));
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}/trainer.json: corrupt checkpoint metadata ({})", dir, e.what()));
  }
  if (!trainer.is_object() || trainer.value("format", "") != kCheckpointFormat || !trainer.contains("files") ||
      !trainer["files"].is_object()) {
    throw UsageError(fmt::format("{}/trainer.json: not a mecrl checkpoint (format tag or manifest missing)", dir));
  }
  return trainer;
}

std::string read_checkpoint_file(const std::string& dir, const nlohmann::json& trainer, const std::string& name) {
  return read_listed_file(dir, name, trainer.at("files"), "trainer.json", "checkpoint");
}

}  // namespace mecrl::agents
