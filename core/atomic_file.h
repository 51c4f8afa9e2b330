// Crash-safe output for files that are replaced as a whole (checkpoints,
// exported policies, resolved configs): a reader, or a run resumed after a
// crash or a full disk, sees either the complete old content or the complete
// new content, never a torn file. Append-only logs (tfevents, metrics.csv)
// do not go through here.
#pragma once

#include <string>
#include <string_view>

namespace mecrl {

// Writes `bytes` to a uniquely named temporary file next to `path`, fsyncs
// it, renames it over `path` and fsyncs the directory. On failure the
// temporary file is removed, `path` is untouched, and std::runtime_error
// names the path and the system's reason.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Moves the fully written directory `tmp_dir` to `final_dir` (same file
// system). An existing `final_dir` is replaced: swapped atomically where the
// kernel supports it, otherwise renamed aside, replaced, then removed. Files
// inside `tmp_dir` should have been written with write_file_atomic (which
// makes their contents durable before the rename publishes them).
void publish_dir_atomic(const std::string& tmp_dir, const std::string& final_dir);

// The whole file; std::runtime_error naming the path if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace mecrl
