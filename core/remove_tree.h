// remove_tree: std::filesystem::remove_all's job (a file, or a directory and
// everything below it, symbolic links removed, never followed) done with
// POSIX nftw(3) alone.
//
// Why not remove_all: the pip LibTorch exports its own copy of it, built
// against another libstdc++ (docs/architecture.md, "Linking LibTorch"). On the
// CPU machine naming libstdc++ first on the link line makes our calls bind to
// libstdc++'s; on the lent H200 (gVisor, GCC 13, 2026-11-28) every call of it
// in a LibTorch binary still jumped to address 0: the second checkpoint (the
// first to replace `last`) and a resume that clears a crashed write's leftovers.
// Every removal in the product and its tests goes through here.
#pragma once

#include <string>
#include <system_error>

namespace mecrl {

// Removes `path` and, if it is a directory, all it holds. A missing path is
// not an error. Returns whether anything was removed; ec names the first
// failure (the walk stops there).
bool remove_tree(const std::string& path, std::error_code& ec);

// The same, throwing IoError (core/error.h) naming the path on failure.
bool remove_tree(const std::string& path);

}  // namespace mecrl
