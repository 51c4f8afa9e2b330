// mecrl eval on the uncertainty scenario: a baseline over eval.episodes
// snapshots, reported as in spec goa-env.md §2 (table or --json).
#include <iostream>

#include "apps/commands.h"
#include "core/config.h"
#include "envs/uncertainty/evaluate.h"
#include "envs/uncertainty/params_config.h"

namespace mecrl::app {

int run_eval_uncertainty(const EvalArgs& args, ConfigReader& r) {
  const uncertainty::UncertaintyParams params = uncertainty::read_uncertainty_params(r);
  uncertainty::EvalSettings settings = uncertainty::read_eval_settings(r);
  for (const char* p : {"agent.", "train.", "ppo.", "wm.", "lagrangian."}) r.allow_prefix(p);
  r.finish();
  if (args.episodes > 0) settings.episodes = args.episodes;
  uncertainty::check_baseline_name(args.policy, "--policy");
  const Report rep =
      uncertainty::evaluate_uncertainty(params, settings, args.policy, uncertainty::baseline_policy(args.policy));
  if (args.json) {
    print_report_json(std::cout, rep);
  } else {
    print_report_table(std::cout, rep);
  }
  return 0;
}

}  // namespace mecrl::app
