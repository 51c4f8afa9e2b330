// The subcommands of ./mecrl, one file each (cmd_*.cpp).
#pragma once

#include <string>
#include <vector>

#include "envs/vec_env.h"

namespace mecrl {
class ConfigReader;
}

namespace mecrl::app {

struct CommonArgs {
  std::string config;                  // --config FILE
  std::vector<std::string> overrides;  // key=value ...
  bool json = false;                   // --json
};

struct EvalArgs : CommonArgs {
  std::string policy;
  std::string label;     // --label: the policy's name in the output (default: --policy)
  std::string samples;   // --samples FILE.csv: per-item values (latency of each query, ...)
  std::string episodes;  // --episodes: eval.episodes given on the command line ("" = the config's)
};

struct SweepArgs : CommonArgs {
  std::vector<std::string> policies;  // --policies a,b,c
  std::vector<std::string> sets;      // --set KEY=V1,V2 (repeatable)
  std::string out;                    // --out FILE.csv
  std::string episodes;               // --episodes: eval.episodes ("" = the config's)
};

struct ExportArgs {
  std::string policy;  // --policy: checkpoint directory (runs/<dir>/checkpoints/last)
  std::string out;     // --out: bundle directory to write
  std::string config;  // --config: the run's config.yaml (default: <policy>/../../config.yaml)
};

int run_eval(const EvalArgs& args);
int run_export(const ExportArgs& args);
struct TrainArgs : CommonArgs {
  int nproc = 0;  // --nproc N: N local data-parallel ranks (0: this process is one rank)
};
int run_train(const TrainArgs& args);
int run_sweep(const SweepArgs& args);
int run_config(const CommonArgs& args, bool as_yaml);
int run_catalogue(const CommonArgs& args);
int run_bench(const std::vector<std::string>& passthrough);

// A baseline name, a checkpoint directory or an exported bundle -> a policy
// (cmd_eval.cpp); `seed` keys the sampling of a bundle's actions.
ActFn resolve_policy(const std::string& policy, const std::vector<std::string>& baselines,
                     const std::string& origin = "--policy", bool deterministic = true, uint64_t seed = 1);

}  // namespace mecrl::app
