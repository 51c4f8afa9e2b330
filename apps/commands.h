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
  std::string episodes;  // --episodes: eval.episodes given on the command line ("" = the config's)
};

struct SweepArgs : CommonArgs {
  std::vector<std::string> policies;  // --policies a,b,c
  std::vector<std::string> sets;      // --set KEY=V1,V2 (repeatable)
  std::string out;                    // --out FILE.csv
  std::string episodes;               // --episodes: eval.episodes ("" = the config's)
};

int run_eval(const EvalArgs& args);
int run_train(const CommonArgs& args);
int run_sweep(const SweepArgs& args);
int run_config(const CommonArgs& args, bool as_yaml);
int run_bench(const std::vector<std::string>& passthrough);

// A baseline name or a checkpoint directory -> a policy (cmd_eval.cpp).
ActFn resolve_policy(const std::string& policy, const std::vector<std::string>& baselines,
                     const std::string& origin = "--policy", bool deterministic = true);

}  // namespace mecrl::app
