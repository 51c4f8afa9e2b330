// The subcommands of ./mecrl, one file each (cmd_*.cpp).
#pragma once

#include <string>
#include <vector>

namespace mecrl::app {

struct CommonArgs {
  std::string config;                  // --config FILE
  std::vector<std::string> overrides;  // key=value ...
  bool json = false;                   // --json
};

struct EvalArgs : CommonArgs {
  std::string policy;
  int episodes = -1;  // -1: eval.episodes from the config
};

int run_eval(const EvalArgs& args);
int run_config(const CommonArgs& args, bool as_yaml);
int run_bench(const std::vector<std::string>& passthrough);

}  // namespace mecrl::app
