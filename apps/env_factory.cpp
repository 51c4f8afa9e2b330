#include "apps/env_factory.h"

#include <stdexcept>

#include "apps/scenario_config.h"
#include "core/error.h"
#include "cuda/backend.h"
#include "envs/population_env.h"

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

void EnvFactory::check_population(const std::string& key_origin) const {
  std::visit(
      [&](const auto& q) {
        if constexpr (!requires { q.num_users; }) {
          throw UsageError(key_origin + ": train.num_users: scenario '" + scenario + "' has no env.num_users");
        }
      },
      params);
}

std::unique_ptr<VecEnv> EnvFactory::make_population(const std::vector<int>& users, int num_envs, Device d, int threads,
                                                    uint32_t first_env, const std::string& key_origin) const {
  check_population(key_origin);
  const std::vector<int> sizes = population_group_sizes(static_cast<int>(users.size()), num_envs);
  std::vector<std::unique_ptr<VecEnv>> groups;
  uint32_t first = first_env;  // env k of the batch keys its streams with first_env + k, as one batch would
  for (size_t g = 0; g < users.size(); ++g) {
    ScenarioParams p = params;
    std::visit(
        [&](auto& q) {
          if constexpr (requires { q.num_users; }) q.num_users = users[g];
        },
        p);
    groups.push_back(entry().make(p, sizes[g], d, threads, first));
    first += static_cast<uint32_t>(sizes[g]);
  }
  return std::make_unique<PopulationEnv>(std::move(groups), d == Device::Cuda ? cuda::device_ops() : host_device_ops());
}

}  // namespace mecrl::app
