// DirLock: one holder per directory across processes (a forked child plays
// the second `mecrl train`), released when the holder goes away, and the
// directory unchanged by a refused attempt.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/dir_lock.h"
#include "core/error.h"
#include "dir_snapshot.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

// Tries the lock in a child process: 0 = taken, 2 = refused (UsageError), 1 = other.
int try_in_child(const fs::path& dir) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 1;
    try {
      DirLock lock(dir.string());
      code = 0;
    } catch (const UsageError&) {
      code = 2;
    } catch (...) {
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(DirLock, OneHolderAtATime) {
  const fs::path dir = testing::fresh_scratch_dir("dir_lock/one");
  EXPECT_EQ(try_in_child(dir), 0) << "free: taken (and released when the child exits)";
  {
    DirLock held(dir.string());
    const testing::DirSnapshot before = testing::snapshot(dir);
    EXPECT_EQ(try_in_child(dir), 2) << "held by this process: refused";
    EXPECT_TRUE(before == testing::snapshot(dir)) << "a refused attempt changes nothing";
  }
  EXPECT_EQ(try_in_child(dir), 0) << "released by the destructor";
}

TEST(DirLock, MessageNamesTheDirectory) {
  const fs::path dir = testing::fresh_scratch_dir("dir_lock/message");
  DirLock held(dir.string());
  const pid_t pid = ::fork();
  if (pid == 0) {
    try {
      DirLock again(dir.string());
    } catch (const UsageError& e) {
      const std::string want = dir.string() + ": another mecrl process is training in this run directory (it holds " +
                               dir.string() + "/.lock)";
      ::_exit(std::string(e.what()) == want ? 0 : 3);
    }
    ::_exit(4);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_THROW(DirLock((dir / "missing").string()), UsageError);
}

}  // namespace
}  // namespace mecrl
