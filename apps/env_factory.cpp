#include "apps/env_factory.h"

#include <stdexcept>

#include "apps/scenario_config.h"
#include "core/error.h"
#include "cuda/backend.h"

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
  f.params = f.entry().read_params(r);
  return f;
}

const ScenarioEntry& EnvFactory::entry() const {
  const ScenarioEntry* e = find_scenario(scenario);
  if (e == nullptr) throw std::logic_error("EnvFactory: unknown scenario '" + scenario + "' (read_scenario checks it)");
  return *e;
}

EnvDims EnvFactory::dims(int num_envs) const { return entry().dims(params, num_envs); }

SpaceDoc EnvFactory::describe() const { return entry().describe(params); }

std::unique_ptr<VecEnv> EnvFactory::make(int n, Device d, int threads, uint32_t first_env) const {
  return entry().make(params, n, d, threads, first_env);
}

}  // namespace mecrl::app
