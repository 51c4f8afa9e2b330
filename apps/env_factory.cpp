#include "apps/env_factory.h"

#include "apps/scenario_config.h"
#include "core/error.h"
#include "cuda/backend.h"
#include "envs/cartpole/params_config.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl::app {

Device pick_device(const std::string& wanted, const std::string& key, const std::string& origin) {
  const bool gpu = cuda::built_with_cuda() && cuda::device_count() > 0;
  if (wanted == "cuda" && !gpu) {
    throw UsageError(origin + ": " + key +
                     (cuda::built_with_cuda() ? " = cuda but no CUDA device is visible (auto: the GPU when there is one)"
                                              : " = cuda but this mecrl was built without CUDA (nvcc not found at "
                                                "configure time)"));
  }
  return (wanted == "cuda" || (wanted == "auto" && gpu)) ? Device::Cuda : Device::Cpu;
}

EnvFactory read_env_factory(ConfigReader& r) { return read_env_factory_for(read_scenario(r), r); }

EnvFactory read_env_factory_for(const std::string& scenario, ConfigReader& r) {
  EnvFactory f;
  f.scenario = scenario;
  if (f.scenario == "offload") {
    f.offload = offload::read_offload_params(r);
  } else if (f.scenario == "cartpole") {
    f.cartpole = cartpole::read_cartpole_params(r);
  } else {
    f.uncertainty = uncertainty::read_uncertainty_params(r);
  }
  return f;
}

EnvDims EnvFactory::dims(int num_envs) const {
  if (scenario == "offload") return offload::OffloadScenario::dims(offload, num_envs);
  if (scenario == "cartpole") return cartpole::CartPoleScenario::dims(cartpole, num_envs);
  return uncertainty::UncertaintyScenario::dims(uncertainty, num_envs);
}

SpaceDoc EnvFactory::describe() const {
  if (scenario == "offload") return offload::describe_spaces(offload.num_servers);
  if (scenario == "cartpole") return cartpole::describe_spaces();
  return uncertainty::describe_spaces(uncertainty.num_servers);
}

std::unique_ptr<VecEnv> EnvFactory::make(int n, Device d, int threads, uint32_t first_env) const {
  if (scenario == "offload") {
    auto p = offload;
    p.first_env = first_env;
    if (d == Device::Cuda) return cuda::make_offload_env(p, n);
    return std::make_unique<ScenarioEnv<offload::OffloadScenario, CpuExec>>(p, n, CpuExec{threads});
  }
  if (scenario == "cartpole") {
    auto p = cartpole;
    p.first_env = first_env;
    if (d == Device::Cuda) return cuda::make_cartpole_env(p, n);
    return std::make_unique<ScenarioEnv<cartpole::CartPoleScenario, CpuExec>>(p, n, CpuExec{threads});
  }
  auto p = uncertainty;
  p.first_env = first_env;
  if (d == Device::Cuda) return cuda::make_uncertainty_env(p, n);
  return std::make_unique<ScenarioEnv<uncertainty::UncertaintyScenario, CpuExec>>(p, n, CpuExec{threads});
}

}  // namespace mecrl::app
