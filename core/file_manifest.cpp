#include "core/file_manifest.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/error.h"

namespace mecrl {

nlohmann::json manifest_entry(std::string_view bytes) {
  return {{"bytes", bytes.size()}, {"crc32c", crc32c(bytes)}};
}

std::string read_listed_file(const std::string& dir, const std::string& name, const nlohmann::json& manifest,
                             const std::string& listed_in, const std::string& kind) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  if (!manifest.is_object() || !manifest.contains(name)) {
    throw UsageError(fmt::format("{}: not listed in {} (incomplete {})", path, listed_in, kind));
  }
  const nlohmann::json& info = manifest[name];
  if (!info.is_object() || !info.contains("bytes") || !info.contains("crc32c") || !info["bytes"].is_number_unsigned() ||
      !info["crc32c"].is_number_unsigned()) {
    throw UsageError(fmt::format("{}: its entry in {} is not {{\"bytes\": n, \"crc32c\": c}} (corrupt {})", path,
                                 listed_in, kind));
  }
  if (!std::filesystem::exists(path)) {
    throw UsageError(fmt::format("{}: missing, but {} lists it (incomplete {})", path, listed_in, kind));
  }
  std::string bytes = read_file(path);
  const auto want = info["bytes"].get<uint64_t>();
  if (bytes.size() != want) {
    throw UsageError(fmt::format("{}: {} bytes, expected {} (truncated {})", path, bytes.size(), want, kind));
  }
  if (crc32c(bytes) != info["crc32c"].get<uint64_t>()) {
    throw UsageError(fmt::format("{}: CRC32C mismatch (corrupt {})", path, kind));
  }
  return bytes;
}

}  // namespace mecrl
