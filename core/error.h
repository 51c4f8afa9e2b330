// Error types and the exit status each one gives (apps/main.cpp, README
// "Exit status"):
//   UsageError  anything the user can fix (a config key, a command-line
//               argument, a file they named, a checkpoint that fails its
//               checks): one line naming the file and key, exit 2.
//   IoError     the machine, not the input: disk full, read-only file
//               system, I/O error while writing: one line, exit 74
//               (sysexits EX_IOERR).
//   out of memory (std::bad_alloc): exit 71 (EX_OSERR).
//   anything else is a bug: exit 1.
#pragma once

#include <stdexcept>
#include <string>

namespace mecrl {

inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoMemory = 71;  // sysexits EX_OSERR
inline constexpr int kExitIoError = 74;   // sysexits EX_IOERR

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A system call on a file failed; `code()` is its errno.
class IoError : public std::runtime_error {
 public:
  IoError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Host-side invariant check that throws (never aborts) with file:line.
#define MECRL_CHECK(cond, msg)                                                                   \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      throw std::runtime_error(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + \
                               "check failed: " #cond ": " + (msg));                            \
    }                                                                                            \
  } while (0)

}  // namespace mecrl
