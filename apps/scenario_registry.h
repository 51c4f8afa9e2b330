// The scenarios mecrl knows: one entry each, and the only place that lists
// them. An entry says how to read the scenario's parameters and evaluation
// protocol, size and build a batch of it on either device, describe its
// spaces and evaluate a policy on it; commands look a scenario up here
// instead of comparing names. A new simulator is one entry
// (scenario_registry.cpp) and its preset (configs/<name>.yaml).
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/config.h"
#include "core/report.h"
#include "envs/cartpole/cartpole.h"
#include "envs/offload/evaluate.h"
#include "envs/space_doc.h"
#include "envs/uncertainty/evaluate.h"
#include "envs/vec_env.h"

namespace mecrl::app {

// The parameters of whichever scenario a config names.
using ScenarioParams = std::variant<offload::OffloadParams, uncertainty::UncertaintyParams, cartpole::CartPoleParams>;

// eval.* of a config: the scenario's own protocol plus what every scenario shares.
struct EvalProtocol {
  offload::EvalSettings offload;          // scenario offload
  uncertainty::EvalSettings uncertainty;  // scenario uncertainty
  int episodes = 100;                     // other scenarios: episodes to average over
  bool deterministic = true;              // trained policies: argmax (true) or sampled actions
  std::string device = "auto";            // eval.device: auto | cpu | cuda (the envs of the evaluation)
};

// What `mecrl eval` hands a scenario's evaluation.
struct EvalRun {
  std::string name;           // the policy's label in the report
  ActFn act;                  // the policy
  Device device;              // where the envs step
  std::FILE* tty = nullptr;   // progress line, or none
};

struct ScenarioEntry {
  std::string name;  // env.scenario
  ScenarioParams (*read_params)(ConfigReader& r);                // env.* keys
  void (*read_eval)(ConfigReader& r, EvalProtocol& e);           // the scenario's eval.* keys
  EnvDims (*dims)(const ScenarioParams& p, int num_envs);
  SpaceDoc (*describe)(const ScenarioParams& p);                 // for exported bundles
  // first_env: the global index of env 0, which keys its random streams
  // (data-parallel rank r makes envs r * num_envs ...: no two ranks alike).
  std::unique_ptr<VecEnv> (*make)(const ScenarioParams& p, int num_envs, Device d, int threads, uint32_t first_env);
  std::vector<std::string> (*baselines)();                       // policies `--policy` names directly
  Report (*evaluate)(const ScenarioParams& p, const EvalProtocol& e, const EvalRun& run);
};

// Every entry, in the order `env.scenario`'s allowed values list them.
const std::vector<ScenarioEntry>& scenario_registry();
std::vector<std::string> scenario_names();
// The entry called `name`; nullptr if there is none (read_scenario reports it).
const ScenarioEntry* find_scenario(const std::string& name);

}  // namespace mecrl::app
