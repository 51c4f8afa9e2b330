// Scratch space for tests that write files (one directory per test process
// under the system temp dir, removed when the process exits), and the small
// file and error helpers those tests share.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "core/remove_tree.h"

namespace mecrl::testing {

inline const std::filesystem::path& scratch_root() {
  struct Root {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("mecrl_test_" + std::to_string(::getpid()));
    ~Root() {
      std::error_code ec;
      mecrl::remove_tree(path, ec);
    }
  };
  static const Root root;
  return root.path;
}

// An empty directory scratch_root()/name (cleared if it exists).
inline std::filesystem::path fresh_scratch_dir(const std::string& name) {
  const std::filesystem::path dir = scratch_root() / name;
  mecrl::remove_tree(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The whole file as bytes ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The message of the std::runtime_error f throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace mecrl::testing
