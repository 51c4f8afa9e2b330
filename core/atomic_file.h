// Crash-safe output for files that are replaced as a whole (checkpoints,
// exported policies, resolved configs): a reader, or a run resumed after a
// crash or a full disk, sees either the complete old content or the complete
// new content, never a torn file. Append-only logs (tfevents, metrics.csv)
// do not go through here.
#pragma once

#include <string>
#include <string_view>

namespace mecrl {

// Failures of the system calls below throw IoError (core/error.h) naming the
// path and the system's reason.

// Writes `bytes` to a uniquely named temporary file next to `path`, fsyncs
// it, renames it over `path` and fsyncs the directory. On failure the
// temporary file is removed and `path` is untouched.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Moves the fully written directory `tmp_dir` to `final_dir` (same file
// system). An existing `final_dir` is replaced: swapped atomically where the
// kernel supports it, otherwise renamed aside, replaced, then removed. Files
// inside `tmp_dir` should have been written with write_file_atomic (which
// makes their contents durable before the rename publishes them).
void publish_dir_atomic(const std::string& tmp_dir, const std::string& final_dir);

// A new empty directory beside `final_dir` to build its next version in
// (".<name>.new.<pid>.<n>"); publish it with publish_dir_atomic.
std::string make_temp_dir_beside(const std::string& final_dir);

// Removes what interrupted writes of `path` left beside it, whatever process
// left them: temporary files of write_file_atomic, directories of
// make_temp_dir_beside, previous versions set aside by publish_dir_atomic
// (and ".tmp-<name>-<pid>", the checkpoint temporaries of earlier mecrl
// versions). Call it only while no other process writes `path` (a run holds
// its directory's lock, core/dir_lock.h). Returns how many were removed.
int remove_stale_temporaries(const std::string& path);

// The whole file; IoError naming the path if it cannot be read (a directory
// gives EISDIR).
std::string read_file(const std::string& path);

}  // namespace mecrl
