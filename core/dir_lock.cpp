#include "core/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "core/error.h"

namespace mecrl {
namespace {

std::string errno_text(int err) { return std::generic_category().message(err); }

}  // namespace

DirLock::DirLock(const std::string& dir) : path_(dir + "/.lock") {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) throw UsageError(fmt::format("{}: no such run directory", dir));
    throw IoError(fmt::format("cannot create the lock file '{}': {}", path_, errno_text(err)), err);
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      throw UsageError(fmt::format("{}: another mecrl process is training in this run directory (it holds {})", dir,
                                   path_));
    }
    throw IoError(fmt::format("cannot lock '{}': {}", path_, errno_text(err)), err);
  }
  // The file stays empty: taking the lock changes nothing in the directory
  // once the file exists (a refused resume leaves the run byte-identical).
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace mecrl
