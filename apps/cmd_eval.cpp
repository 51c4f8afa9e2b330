// mecrl eval: run a policy (a scenario baseline or a trained checkpoint)
// over a batch of episodes and report the scenario's metrics.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "agents/api.h"
#include "apps/commands.h"
#include "apps/env_factory.h"
#include "apps/scenario_config.h"
#include "apps/settings.h"
#include "core/error.h"
#include "envs/episode_returns.h"
#include "envs/offload/scenario.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl::app {

ActFn resolve_policy(const std::string& policy, const std::vector<std::string>& baselines, const std::string& origin,
                     bool deterministic) {
  if (std::find(baselines.begin(), baselines.end(), policy) != baselines.end()) {
    return [policy](VecEnv& env, int32_t* a) { env.act_baseline(policy, a); };
  }
  // symlink_status: a dangling or looping link is still the checkpoint the
  // user named (load_policy says what is wrong with it).
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(policy, ec))) {
    return agents::load_policy(policy, deterministic);
  }
  std::string list;
  for (const auto& n : baselines) list += (list.empty() ? "" : ", ") + n;
  throw UsageError(origin + " '" + policy + "' is not a baseline (" + list + ") nor a checkpoint directory");
}

namespace {

void print(const Report& rep, bool json) {
  if (json) {
    print_report_json(std::cout, rep);
  } else {
    print_report_table(std::cout, rep);
  }
}

}  // namespace

int run_eval(const EvalArgs& args) {
  Config cfg = load_config(args.config, args.overrides);
  // --episodes is eval.episodes given on the command line: same range check.
  if (!args.episodes.empty()) cfg.set("eval.episodes", args.episodes, "--episodes " + args.episodes);
  const Settings s = read_settings(cfg);
  const EnvFactory& f = s.env;
  const EvalProtocol& e = s.eval;
  if (f.scenario == "uncertainty") {
    const ActFn act = resolve_policy(args.policy, uncertainty::UncertaintyScenario::baseline_names(), "--policy",
                                     e.deterministic);
    print(uncertainty::evaluate_uncertainty(f.uncertainty, e.uncertainty, args.policy, act), args.json);
  } else if (f.scenario == "offload") {
    const ActFn act =
        resolve_policy(args.policy, offload::OffloadScenario::baseline_names(), "--policy", e.deterministic);
    print(offload::evaluate(f.offload, e.offload, args.policy, act), args.json);
  } else {
    auto env = f.make(std::min(e.episodes, 64), Device::Cpu, 0);
    const ActFn act = resolve_policy(args.policy, env->baseline_names(), "--policy", e.deterministic);
    print(evaluate_returns(*env, act, e.episodes, args.policy), args.json);
  }
  return 0;
}

}  // namespace mecrl::app
