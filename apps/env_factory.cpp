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

Device pick_device(const std::string& wanted) {
  const bool gpu = cuda::built_with_cuda() && cuda::device_count() > 0;
  if (wanted == "cuda" && !gpu) {
    throw UsageError(cuda::built_with_cuda() ? "train.device = cuda but no CUDA device is visible"
                                             : "train.device = cuda but this mecrl was built without CUDA");
  }
  return (wanted == "cuda" || (wanted == "auto" && gpu)) ? Device::Cuda : Device::Cpu;
}

EnvFactory read_env_factory(ConfigReader& r) { return read_env_factory_for(read_scenario(r), r); }

EnvFactory read_env_factory_for(const std::string& scenario, ConfigReader& r) {
  EnvFactory f;
  f.scenario = scenario;
  if (f.scenario == "offload") {
    const offload::OffloadParams p = offload::read_offload_params(r);
    f.make = [p](int n, Device d, int threads) -> std::unique_ptr<VecEnv> {
      if (d == Device::Cuda) return cuda::make_offload_env(p, n);
      return std::make_unique<ScenarioEnv<offload::OffloadScenario, CpuExec>>(p, n, CpuExec{threads});
    };
    f.describe = [m = p.num_servers] { return offload::describe_spaces(m); };
  } else if (f.scenario == "cartpole") {
    const cartpole::CartPoleParams p = cartpole::read_cartpole_params(r);
    f.make = [p](int n, Device d, int threads) -> std::unique_ptr<VecEnv> {
      if (d == Device::Cuda) return cuda::make_cartpole_env(p, n);
      return std::make_unique<ScenarioEnv<cartpole::CartPoleScenario, CpuExec>>(p, n, CpuExec{threads});
    };
    f.describe = [] { return cartpole::describe_spaces(); };
  } else {
    const uncertainty::UncertaintyParams p = uncertainty::read_uncertainty_params(r);
    f.make = [p](int n, Device d, int threads) -> std::unique_ptr<VecEnv> {
      if (d == Device::Cuda) return cuda::make_uncertainty_env(p, n);
      return std::make_unique<ScenarioEnv<uncertainty::UncertaintyScenario, CpuExec>>(p, n, CpuExec{threads});
    };
    f.describe = [m = p.num_servers] { return uncertainty::describe_spaces(m); };
  }
  return f;
}

}  // namespace mecrl::app
