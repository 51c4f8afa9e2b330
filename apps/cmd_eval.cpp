// mecrl eval: run a policy (a scenario baseline, a trained checkpoint or an
// exported bundle) over a batch of episodes and report the scenario's
// metrics; --samples also writes the per-item values behind them (for the
// report's CDFs).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "agents/api.h"
#include "apps/bundle_policy.h"
#include "apps/commands.h"
#include "apps/env_factory.h"
#include "apps/scenario_config.h"
#include "apps/settings.h"
#include "core/error.h"
#include "core/progress.h"

namespace mecrl::app {

ActFn resolve_policy(const std::string& policy, const std::vector<std::string>& baselines, const std::string& origin,
                     bool deterministic, uint64_t seed) {
  if (std::find(baselines.begin(), baselines.end(), policy) != baselines.end()) {
    return [policy](VecEnv& env, int32_t* a) { env.act_baseline(policy, a); };
  }
  if (is_policy_bundle(policy)) return load_bundle_policy(policy, deterministic, seed);
  // symlink_status: a dangling or looping link is still the checkpoint the
  // user named (load_policy says what is wrong with it).
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(policy, ec))) {
    return agents::load_policy(policy, deterministic);
  }
  std::string list;
  for (const auto& n : baselines) list += (list.empty() ? "" : ", ") + n;
  throw UsageError(origin + " '" + policy + "' is not a baseline (" + list +
                   "), a checkpoint directory or an exported policy bundle");
}

namespace {

void output(const Report& rep, const EvalArgs& args) {
  if (!args.samples.empty()) write_samples_csv(args.samples, rep, "--samples " + args.samples);
  if (args.json) {
    print_report_json(std::cout, rep);
  } else {
    print_report_table(std::cout, rep);
  }
}

// Checked before the evaluation runs, so a typo costs no time.
void check_samples_path(const std::string& path) {
  if (path.empty()) return;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir)) {
    throw UsageError("--samples " + path + ": directory '" + dir.string() + "' does not exist");
  }
}

}  // namespace

int run_eval(const EvalArgs& args) {
  check_samples_path(args.samples);
  const std::string name = args.label.empty() ? args.policy : args.label;
  std::FILE* tty = ProgressLine::terminal(args.json);
  Config cfg = load_config(args.config, args.overrides);
  // --episodes is eval.episodes given on the command line: same range check.
  if (!args.episodes.empty()) cfg.set("eval.episodes", args.episodes, "--episodes " + args.episodes);
  const Settings s = read_settings(cfg);
  const EnvFactory& f = s.env;
  const EvalProtocol& e = s.eval;
  const uint64_t seed = s.agent.seed;  // for sampling a bundle's actions
  // An exported bundle runs through the C runtime, on the host: its envs too.
  const Device device =
      is_policy_bundle(args.policy) ? Device::Cpu : pick_device(e.device, "eval.device", origin_of(s, "eval.device"));
  const ScenarioEntry& scenario = f.entry();
  const ActFn act = resolve_policy(args.policy, scenario.baselines(), "--policy", e.deterministic, seed);
  output(scenario.evaluate(f.params, e, EvalRun{name, act, device, tty}), args);
  return 0;
}

}  // namespace mecrl::app
