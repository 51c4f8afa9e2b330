// mecrl config: every key the scenario reads, with value, range and origin.
#include <fmt/format.h>

#include <iostream>

#include "apps/commands.h"
#include "apps/scenario_config.h"
#include "envs/offload/evaluate.h"
#include "envs/offload/params_config.h"
#include "envs/uncertainty/evaluate.h"
#include "envs/uncertainty/params_config.h"

namespace mecrl::app {

int run_config(const CommonArgs& args, bool as_yaml) {
  const Config cfg = load_config(args.config, args.overrides);
  ConfigReader r(cfg);
  if (read_scenario(r) == "uncertainty") {
    uncertainty::read_uncertainty_params(r);
    uncertainty::read_eval_settings(r);
  } else {
    offload::read_offload_params(r);
    offload::read_eval_settings(r);
  }
  for (const char* p : {"agent.", "train.", "ppo.", "wm.", "lagrangian."}) r.allow_prefix(p);
  r.finish();
  if (as_yaml) {
    write_config_yaml(std::cout, r.resolved());
    return 0;
  }
  for (const auto& k : r.resolved()) {
    std::cout << fmt::format("{:<44} {:<18} {:<24} {}  [{}]\n", k.key, k.value, k.allowed, k.doc, k.origin);
  }
  return 0;
}

}  // namespace mecrl::app
