#include "agents/checkpoint_files.h"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "agents/checkpoint_check.h"
#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace mecrl::agents {

nlohmann::json read_checkpoint_meta(const std::string& dir) {
  const fs::path d(dir);
  std::error_code ec;
  if (!fs::is_directory(d, ec)) {
    throw UsageError(fmt::format("{}: not a checkpoint directory{}", dir, ec ? " (" + ec.message() + ")" : ""));
  }
  if (!fs::is_regular_file(d / "trainer.json", ec)) {
    throw UsageError(fmt::format("{}: no trainer.json (not a checkpoint, or an interrupted write)", dir));
  }
  const std::string meta = (d / "trainer.json").string();
  nlohmann::json trainer;
  try {
    trainer = nlohmann::json::parse(read_file(meta));
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: corrupt checkpoint metadata ({})", meta, e.what()));
  }
  if (trainer.is_object() && trainer.contains("format") && trainer["format"].is_string() &&
      trainer["format"] != kCheckpointFormat &&
      trainer["format"].get<std::string>().rfind("mecrl-checkpoint-", 0) == 0) {
    throw UsageError(fmt::format("{}: checkpoint format '{}' of another mecrl version; this one reads '{}'", meta,
                                 trainer["format"].get<std::string>(), kCheckpointFormat));
  }
  if (!trainer.is_object() || !trainer.contains("format") || trainer["format"] != kCheckpointFormat ||
      !trainer.contains("files") || !trainer["files"].is_object()) {
    throw UsageError(fmt::format("{}: not a mecrl checkpoint (format tag or manifest missing)", meta));
  }
  return trainer;
}

std::string read_checkpoint_file(const std::string& dir, const nlohmann::json& trainer, const std::string& name) {
  const fs::path d(dir);
  const std::string meta = (d / "trainer.json").string();
  const nlohmann::json& files = trainer.at("files");
  if (!files.contains(name)) {
    throw UsageError(fmt::format("{}/{}: not listed in trainer.json (incomplete checkpoint)", dir, name));
  }
  // Only the plain files a checkpoint has, inside its directory: a name like
  // "../../x" or a symbolic link would read (or, resumed, trust) a file
  // elsewhere.
  if (!is_checkpoint_file_name(name)) {
    throw UsageError(fmt::format("{}: manifest entry \"{}\" is not a checkpoint file (model.safetensors, "
                                 "extra.safetensors, env_state.bin, optimizer.safetensors, "
                                 "wm_optimizer.safetensors)",
                                 meta, name));
  }
  const nlohmann::json& info = files.at(name);
  if (!info.is_object()) throw UsageError(fmt::format("{}: manifest entry \"{}\" is not an object", meta, name));
  for (const char* field : {"bytes", "crc32c"}) {
    const bool ok = info.contains(field) && info[field].is_number_unsigned() &&
                    (std::string(field) == "bytes" || info[field].get<uint64_t>() <= 0xffffffffu);
    if (!ok) {
      throw UsageError(fmt::format("{}: manifest entry \"{}\": \"{}\" = {} is not a{} unsigned integer", meta, name,
                                   field, info.contains(field) ? info[field].dump() : "(missing)",
                                   std::string(field) == "crc32c" ? " 32-bit" : "n"));
    }
  }
  const fs::path p = d / name;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(p, ec);
  if (!fs::exists(st)) throw UsageError(fmt::format("{}: file {} listed in trainer.json is missing", dir, name));
  if (!fs::is_regular_file(st)) {
    throw UsageError(fmt::format("{}/{}: not a regular file (a checkpoint holds its own files, no links)", dir, name));
  }
  const uint64_t want = info["bytes"].get<uint64_t>();
  const uintmax_t have = fs::file_size(p, ec);
  if (ec || have != want) {  // before reading: a forged size must not make us read gigabytes
    throw UsageError(fmt::format("{}/{}: {} bytes, expected {} (truncated checkpoint)", dir, name, have, want));
  }
  std::string bytes = read_file(p.string());
  if (bytes.size() != want) {
    throw UsageError(fmt::format("{}/{}: {} bytes, expected {} (truncated checkpoint)", dir, name, bytes.size(), want));
  }
  if (crc32c(bytes) != info["crc32c"].get<uint32_t>()) {
    throw UsageError(fmt::format("{}/{}: CRC32C mismatch (corrupt checkpoint)", dir, name));
  }
  return bytes;
}

}  // namespace mecrl::agents
