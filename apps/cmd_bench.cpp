// mecrl bench: runs the Google Benchmark binary built from bench/.
#include <unistd.h>

#include <string>
#include <vector>

#include "apps/commands.h"
#include "core/error.h"

namespace mecrl::app {

int run_bench(const std::vector<std::string>& passthrough) {
  std::vector<std::string> args = {MECRL_BENCH_BINARY};
  args.insert(args.end(), passthrough.begin(), passthrough.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  throw UsageError(std::string("cannot run the benchmark binary ") + MECRL_BENCH_BINARY +
                   " (build it with ./mecrl test or cmake --build build)");
}

}  // namespace mecrl::app
