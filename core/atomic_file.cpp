#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/remove_tree.h"

namespace mecrl {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw IoError(fmt::format("{} '{}': {}", what, path, std::generic_category().message(err)), err);
}

// "runs/x/" names the same directory as "runs/x"; without the slash its
// parent and file name come out right.
std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string parent_dir(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Makes a rename inside `dir` durable. Some file systems cannot fsync a
// directory (EINVAL); there the rename is as durable as it can be made.
void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory", dir, errno);
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    fail("cannot fsync directory", dir, err);
  }
  ::close(fd);
}

// Unique within the process by the counter, across processes by the pid; a
// stale name left by a crashed process with a recycled pid is skipped by
// O_EXCL / the existence check and the next counter value.
std::string sibling_name(const std::string& path, const char* kind) {
  static std::atomic<unsigned long long> counter{0};
  const fs::path p(path);
  const std::string name = fmt::format(".{}.{}.{}.{}", p.filename().string(), kind,
                                       static_cast<long>(::getpid()), counter++);
  return (p.parent_path() / name).string();
}

// Owns the temporary file until it has been renamed into place.
struct TempFile {
  std::string path;
  int fd = -1;
  bool renamed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!renamed && !path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  TempFile tmp;
  for (int attempt = 0; tmp.fd < 0; ++attempt) {
    std::string name = sibling_name(path, "tmp");
    // 0666 before the umask: the same permissions a plain fopen would give.
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      tmp.fd = fd;
      tmp.path = std::move(name);
    } else if (errno != EEXIST || attempt >= 100) {
      fail("cannot create a temporary file to write", path, errno);
    }
  }
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(tmp.fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    written += static_cast<size_t>(n);
  }
  // Without the fsync a crash after the rename can leave an empty file under
  // the final name on ext4/xfs: the rename may reach the disk first.
  if (::fsync(tmp.fd) != 0) fail("cannot fsync", path, errno);
  const int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) fail("cannot close", path, errno);
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) fail("cannot rename a temporary file onto", path, errno);
  tmp.renamed = true;
  fsync_dir(parent_dir(path));
}

void publish_dir_atomic(const std::string& tmp_dir_arg, const std::string& final_dir_arg) {
  const std::string tmp_dir = without_trailing_slash(tmp_dir_arg);
  const std::string final_dir = without_trailing_slash(final_dir_arg);
  std::error_code ec;
  if (!fs::is_directory(tmp_dir, ec)) {
    throw std::runtime_error(fmt::format("cannot publish '{}' as '{}': '{}' is not a directory",
                                         tmp_dir, final_dir, tmp_dir));
  }
  fsync_dir(tmp_dir);  // the entries of the files inside it
  std::string old_dir;  // where the previous version ends up, to be removed
  if (!fs::exists(fs::symlink_status(final_dir, ec))) {
    if (::rename(tmp_dir.c_str(), final_dir.c_str()) != 0) {
      fail(fmt::format("cannot rename '{}' to", tmp_dir), final_dir, errno);
    }
  } else {
    if (!fs::is_directory(fs::symlink_status(final_dir, ec))) {
      throw std::runtime_error(fmt::format(
          "cannot publish '{}': '{}' exists and is not a directory", tmp_dir, final_dir));
    }
    // RENAME_EXCHANGE swaps both names in one step, so `final_dir` never
    // disappears, even if we crash; the old version lands at `tmp_dir`.
    if (::renameat2(AT_FDCWD, tmp_dir.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
      old_dir = tmp_dir;
    } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
      // File system without exchange: a crash between the two renames
      // leaves the previous version under the aside name, not lost.
      old_dir = sibling_name(final_dir, "old");
      if (::rename(final_dir.c_str(), old_dir.c_str()) != 0) {
        fail("cannot move aside the existing directory", final_dir, errno);
      }
      if (::rename(tmp_dir.c_str(), final_dir.c_str()) != 0) {
        const int err = errno;
        ::rename(old_dir.c_str(), final_dir.c_str());  // best effort: put it back
        fail(fmt::format("cannot rename '{}' to", tmp_dir), final_dir, err);
      }
    } else {
      fail(fmt::format("cannot swap '{}' with", tmp_dir), final_dir, errno);
    }
  }
  fsync_dir(parent_dir(final_dir));
  if (parent_dir(tmp_dir) != parent_dir(final_dir)) fsync_dir(parent_dir(tmp_dir));
  if (!old_dir.empty()) {
    mecrl::remove_tree(old_dir, ec);
    if (ec) {
      throw IoError(fmt::format("published '{}', but could not remove its previous version at '{}': {}",
                                final_dir, old_dir, ec.message()),
                    ec.value());
    }
  }
}

std::string make_temp_dir_beside(const std::string& final_dir_arg) {
  const std::string final_dir = without_trailing_slash(final_dir_arg);
  for (int attempt = 0;; ++attempt) {
    const std::string name = sibling_name(final_dir, "new");
    if (::mkdir(name.c_str(), 0777) == 0) return name;
    if (errno != EEXIST || attempt >= 100) fail("cannot create a temporary directory beside", final_dir, errno);
  }
}

namespace {

// ".<name>.<kind>.<pid>.<n>" (sibling_name) with kind tmp, new or old, or
// ".tmp-<name>-<pid>" (checkpoint temporaries of earlier versions).
bool is_temporary_of(const std::string& entry, const std::string& name) {
  auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  const std::string legacy = ".tmp-" + name + "-";
  if (entry.compare(0, legacy.size(), legacy) == 0) return digits(std::string_view(entry).substr(legacy.size()));
  const std::string head = "." + name + ".";
  if (entry.compare(0, head.size(), head) != 0) return false;
  std::string_view rest = std::string_view(entry).substr(head.size());
  const size_t dot1 = rest.find('.');
  if (dot1 == std::string_view::npos) return false;
  const std::string_view kind = rest.substr(0, dot1);
  if (kind != "tmp" && kind != "new" && kind != "old") return false;
  rest = rest.substr(dot1 + 1);
  const size_t dot2 = rest.find('.');
  return dot2 != std::string_view::npos && digits(rest.substr(0, dot2)) && digits(rest.substr(dot2 + 1));
}

}  // namespace

int remove_stale_temporaries(const std::string& path_arg) {
  const std::string path = without_trailing_slash(path_arg);
  const std::string dir = parent_dir(path), name = fs::path(path).filename().string();
  std::error_code ec;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_temporary_of(it->path().filename().string(), name)) stale.push_back(it->path());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw IoError(fmt::format("cannot list '{}': {}", dir, ec.message()), ec.value());
  }
  for (const auto& p : stale) {
    mecrl::remove_tree(p, ec);
    if (ec) throw IoError(fmt::format("cannot remove the leftover '{}': {}", p.string(), ec.message()), ec.value());
  }
  return static_cast<int>(stale.size());
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot read", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail("cannot read", path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    fail("cannot read", path, EISDIR);
  }
  std::string out;
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("cannot read", path, err);
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace mecrl
