// mecrl eval: run a policy over a batch of episodes and report spec §8.
#include <algorithm>
#include <iostream>

#include "apps/commands.h"
#include "apps/scenario_config.h"
#include "core/error.h"
#include "envs/offload/evaluate.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"

namespace mecrl::app {

int run_eval(const EvalArgs& args) {
  const Config cfg = load_config(args.config, args.overrides);
  ConfigReader r(cfg);
  read_scenario(r);
  const offload::OffloadParams params = offload::read_offload_params(r);
  offload::EvalSettings settings = offload::read_eval_settings(r);
  for (const char* p : {"agent.", "train.", "ppo.", "wm.", "lagrangian."}) r.allow_prefix(p);
  r.finish();
  if (args.episodes > 0) settings.episodes = args.episodes;

  const auto names = offload::OffloadScenario::baseline_names();
  if (std::find(names.begin(), names.end(), args.policy) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw UsageError("--policy '" + args.policy + "' is not a baseline (" + list + ") nor a checkpoint directory");
  }
  const Report rep = offload::evaluate(params, settings, args.policy, offload::baseline_policy(args.policy));
  if (args.json) {
    print_report_json(std::cout, rep);
  } else {
    print_report_table(std::cout, rep);
  }
  return 0;
}

}  // namespace mecrl::app
