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
#include "core/error.h"
#include "core/progress.h"
#include "envs/episode_returns.h"
#include "envs/offload/evaluate.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/uncertainty/evaluate.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl::app {

ActFn resolve_policy(const std::string& policy, const std::vector<std::string>& baselines, const std::string& origin,
                     bool deterministic, uint64_t seed) {
  if (std::find(baselines.begin(), baselines.end(), policy) != baselines.end()) {
    return [policy](VecEnv& env, int32_t* a) { env.act_baseline(policy, a); };
  }
  if (is_policy_bundle(policy)) return load_bundle_policy(policy, deterministic, seed);
  if (std::filesystem::exists(policy)) return agents::load_policy(policy, deterministic);
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

void allow_training_keys(ConfigReader& r) {
  for (const char* p : {"train.", "ppo.", "wm.", "lagrangian.", "resume"}) r.allow_prefix(p);
}

// The run seed (read and range-checked by the scenario's reader), for sampling a bundle's actions.
uint64_t seed_of(const Config& cfg) {
  const ConfigValue* v = cfg.find("seed");
  return v ? std::stoull(v->text) : 1;
}

bool read_deterministic(ConfigReader& r) {
  bool deterministic = true;
  r.get("eval.deterministic", deterministic,
        "trained policies: most likely action (true) or sampled from the policy (false)");
  return deterministic;
}

}  // namespace

int run_eval(const EvalArgs& args) {
  check_samples_path(args.samples);
  const std::string name = args.label.empty() ? args.policy : args.label;
  std::FILE* tty = ProgressLine::terminal(args.json);
  const Config cfg = load_config(args.config, args.overrides);
  ConfigReader r(cfg);
  const std::string scenario = read_scenario(r);
  if (scenario == "uncertainty") {
    const uncertainty::UncertaintyParams params = uncertainty::read_uncertainty_params(r);
    uncertainty::EvalSettings settings = uncertainty::read_eval_settings(r);
    const bool deterministic = read_deterministic(r);
    allow_training_keys(r);
    r.finish();
    if (args.episodes > 0) settings.episodes = args.episodes;
    const ActFn act = resolve_policy(args.policy, uncertainty::UncertaintyScenario::baseline_names(), "--policy",
                                     deterministic, seed_of(cfg));
    output(uncertainty::evaluate_uncertainty(params, settings, name, act), args);
  } else if (scenario == "offload") {
    const offload::OffloadParams params = offload::read_offload_params(r);
    offload::EvalSettings settings = offload::read_eval_settings(r);
    const bool deterministic = read_deterministic(r);
    allow_training_keys(r);
    r.finish();
    if (args.episodes > 0) settings.episodes = args.episodes;
    const ActFn act =
        resolve_policy(args.policy, offload::OffloadScenario::baseline_names(), "--policy", deterministic, seed_of(cfg));
    ProgressLine progress("eval " + name, static_cast<double>(settings.slots) * settings.episodes, "cell-slots",
                          tty);
    const Report rep = offload::evaluate(params, settings, name, act, &progress);
    progress.finish();
    output(rep, args);
  } else {
    const EnvFactory f = read_env_factory_for(scenario, r);
    int episodes = 100, threads = 0;
    r.get("eval.episodes", episodes, 1, 1 << 20, "episodes to average over");
    r.get("threads", threads, 0, 1024, "CPU threads for env stepping (0 = all cores)");
    const bool deterministic = read_deterministic(r);
    allow_training_keys(r);
    r.finish();
    if (args.episodes > 0) episodes = args.episodes;
    auto env = f.make(std::min(episodes, 64), Device::Cpu, threads);
    const ActFn act = resolve_policy(args.policy, env->baseline_names(), "--policy", deterministic, seed_of(cfg));
    ProgressLine progress("eval " + name, episodes, "episodes", tty);
    const Report rep = evaluate_returns(*env, act, episodes, name, &progress);
    progress.finish();
    output(rep, args);
  }
  return 0;
}

}  // namespace mecrl::app
