// A directory tree as {relative path -> kind and bytes}, to assert that a
// refused command left a run directory byte-identical.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <system_error>

#include "temp_dir.h"

namespace mecrl::testing {

using DirSnapshot = std::map<std::string, std::string>;

inline DirSnapshot snapshot(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  DirSnapshot out;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(root, ec))) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path rel = fs::relative(it->path(), root, ec);
    const fs::file_status st = it->symlink_status(ec);
    if (fs::is_symlink(st)) {
      out[rel.string()] = "link -> " + fs::read_symlink(it->path(), ec).string();
      it.disable_recursion_pending();
    } else if (fs::is_directory(st)) {
      out[rel.string()] = "dir";
    } else {
      out[rel.string()] = "file " + slurp(it->path());
    }
  }
  return out;
}

// Names of the entries that differ (added, removed or changed), for a failure message.
inline std::string snapshot_diff(const DirSnapshot& a, const DirSnapshot& b) {
  std::string out;
  for (const auto& [k, v] : a) {
    const auto it = b.find(k);
    if (it == b.end()) out += " -" + k;
    else if (it->second != v) out += " ~" + k;
  }
  for (const auto& [k, v] : b) {
    if (!a.count(k)) out += " +" + k;
  }
  return out;
}

// The first line of a text (without its newline).
inline std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace mecrl::testing
