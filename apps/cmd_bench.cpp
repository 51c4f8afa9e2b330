// mecrl bench: runs the Google Benchmark binaries built from bench/
// (simulators, then learners), passing the flags through.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "core/error.h"

namespace mecrl::app {

int run_bench(const std::vector<std::string>& passthrough) {
  int worst = 0;
  for (std::string binary : {std::string(MECRL_BENCH_BINARY), std::string(MECRL_BENCH_AGENTS_BINARY)}) {
    if (binary.empty() || !std::filesystem::exists(binary)) continue;
    std::vector<std::string> args = {binary};
    args.insert(args.end(), passthrough.begin(), passthrough.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::cout.flush();
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw UsageError("cannot run the benchmark binary " + binary + " (build it with ./mecrl test)");
    }
    int st = 0;
    waitpid(pid, &st, 0);
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    worst = std::max(worst, code);
  }
  return worst;
}

}  // namespace mecrl::app
