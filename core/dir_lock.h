// One writer per run directory: an advisory flock(2) on <dir>/.lock, held
// for the life of the object (the kernel drops it when the process dies, so
// a crashed run never leaves a stale lock). A second `mecrl train` on the
// same directory (two `resume=` of one run, or a resume of a run still
// training) is refused instead of interleaving its logs and checkpoints.
#pragma once

#include <string>

namespace mecrl {

class DirLock {
 public:
  // Takes the lock or throws: UsageError naming the directory if another
  // process holds it or the directory does not exist; IoError if the lock
  // file cannot be created.
  explicit DirLock(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace mecrl
