#include "apps/scenario_registry.h"

#include <algorithm>

#include "core/progress.h"
#include "cuda/backend.h"
#include "envs/cartpole/params_config.h"
#include "envs/cpu_exec.h"
#include "envs/episode_returns.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl::app {
namespace {

// A batch of scenario Sc on the CPU, or through `gpu` on the device.
// Envs first_env ... first_env + n - 1 of the run (their random streams).
template <class Sc, class Make>
std::unique_ptr<VecEnv> make_batch(typename Sc::Params p, int n, Device d, int threads, uint32_t first_env,
                                   Make gpu) {
  p.first_env = first_env;
  if (d == Device::Cuda) return gpu(p, n);
  return std::make_unique<ScenarioEnv<Sc, CpuExec>>(p, n, CpuExec{threads});
}

ScenarioEntry offload_entry() {
  using offload::OffloadParams;
  using Sc = offload::OffloadScenario;
  return ScenarioEntry{
      Sc::kName,
      [](ConfigReader& r) -> ScenarioParams { return offload::read_offload_params(r); },
      [](ConfigReader& r, EvalProtocol& e) { e.offload = offload::read_eval_settings(r); },
      [](const ScenarioParams& p, int n) { return Sc::dims(std::get<OffloadParams>(p), n); },
      [](const ScenarioParams& p) { return offload::describe_spaces(std::get<OffloadParams>(p).num_servers); },
      [](const ScenarioParams& p, int n, Device d, int threads, uint32_t first_env) {
        return make_batch<Sc>(std::get<OffloadParams>(p), n, d, threads, first_env,
                              [](const OffloadParams& q, int m) { return cuda::make_offload_env(q, m); });
      },
      &Sc::baseline_names,
      [](const ScenarioParams& p, const EvalProtocol& e, const EvalRun& run) {
        offload::MakeEvalEnv make;
        if (run.device == Device::Cuda) {
          make = [](const OffloadParams& q, int m) { return cuda::make_offload_env(q, m, /*with_events=*/true); };
        }
        ProgressLine progress("eval " + run.name, static_cast<double>(e.offload.slots) * e.offload.episodes,
                              "cell-slots", run.tty);
        Report rep = offload::evaluate(std::get<OffloadParams>(p), e.offload, run.name, run.act, &progress, make);
        progress.finish();
        return rep;
      }};
}

ScenarioEntry uncertainty_entry() {
  using uncertainty::UncertaintyParams;
  using Sc = uncertainty::UncertaintyScenario;
  return ScenarioEntry{
      Sc::kName,
      [](ConfigReader& r) -> ScenarioParams { return uncertainty::read_uncertainty_params(r); },
      [](ConfigReader& r, EvalProtocol& e) { e.uncertainty = uncertainty::read_eval_settings(r); },
      [](const ScenarioParams& p, int n) { return Sc::dims(std::get<UncertaintyParams>(p), n); },
      [](const ScenarioParams& p) {
        const auto& u = std::get<UncertaintyParams>(p);
        return uncertainty::describe_spaces(u.num_servers, u.join_view);
      },
      [](const ScenarioParams& p, int n, Device d, int threads, uint32_t first_env) {
        return make_batch<Sc>(std::get<UncertaintyParams>(p), n, d, threads, first_env,
                              [](const UncertaintyParams& q, int m) { return cuda::make_uncertainty_env(q, m); });
      },
      &Sc::baseline_names,
      [](const ScenarioParams& p, const EvalProtocol& e, const EvalRun& run) {
        uncertainty::MakeEvalEnv make;
        if (run.device == Device::Cuda) {
          make = [](const UncertaintyParams& q, int m) { return cuda::make_uncertainty_env(q, m, true); };
        }
        return uncertainty::evaluate_uncertainty(std::get<UncertaintyParams>(p), e.uncertainty, run.name, run.act,
                                                 make);
      }};
}

ScenarioEntry cartpole_entry() {
  using cartpole::CartPoleParams;
  using Sc = cartpole::CartPoleScenario;
  return ScenarioEntry{
      Sc::kName,
      [](ConfigReader& r) -> ScenarioParams { return cartpole::read_cartpole_params(r); },
      [](ConfigReader& r, EvalProtocol& e) {
        r.get("eval.episodes", e.episodes, 1, 1 << 20, "episodes to average over");
      },
      [](const ScenarioParams& p, int n) { return Sc::dims(std::get<CartPoleParams>(p), n); },
      [](const ScenarioParams&) { return cartpole::describe_spaces(); },
      [](const ScenarioParams& p, int n, Device d, int threads, uint32_t first_env) {
        return make_batch<Sc>(std::get<CartPoleParams>(p), n, d, threads, first_env,
                              [](const CartPoleParams& q, int m) { return cuda::make_cartpole_env(q, m); });
      },
      &Sc::baseline_names,
      [](const ScenarioParams& p, const EvalProtocol& e, const EvalRun& run) {
        auto env = make_batch<Sc>(std::get<CartPoleParams>(p), std::min(e.episodes, 64), run.device, 0, 0,
                                  [](const CartPoleParams& q, int m) { return cuda::make_cartpole_env(q, m); });
        ProgressLine progress("eval " + run.name, e.episodes, "episodes", run.tty);
        Report rep = evaluate_returns(*env, run.act, e.episodes, run.name, &progress);
        progress.finish();
        return rep;
      }};
}

}  // namespace

const std::vector<ScenarioEntry>& scenario_registry() {
  static const std::vector<ScenarioEntry> entries = {offload_entry(), uncertainty_entry(), cartpole_entry()};
  return entries;
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const auto& s : scenario_registry()) names.push_back(s.name);
  return names;
}

const ScenarioEntry* find_scenario(const std::string& name) {
  for (const auto& s : scenario_registry()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace mecrl::app
