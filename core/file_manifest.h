// File manifests: {"<file name>": {"bytes": size, "crc32c": crc}, ...},
// stored beside the files they describe (a checkpoint's trainer.json, a
// policy bundle's manifest.json), so a reader tells a truncated or corrupted
// file from a good one with one clear line naming it, never a crash or a
// silently wrong policy.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mecrl {

// The manifest entry of a file with these contents.
nlohmann::json manifest_entry(std::string_view bytes);

// Reads <dir>/<name> and checks it against manifest[name]. `listed_in` names
// the manifest file and `kind` the artefact ("checkpoint", "policy bundle")
// in the messages. Throws UsageError, e.g.
//   runs/x/checkpoints/last/model.safetensors: 812 bytes, expected 1624 (truncated checkpoint)
std::string read_listed_file(const std::string& dir, const std::string& name, const nlohmann::json& manifest,
                             const std::string& listed_in, const std::string& kind);

}  // namespace mecrl
