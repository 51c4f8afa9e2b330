// Error types. `UsageError` is anything the user can fix (a config key, a
// command-line argument, a file): main() prints it as one line and exits
// with status 2. Everything else is a bug or an environment failure (exit 1).
#pragma once

#include <stdexcept>
#include <string>

namespace mecrl {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
