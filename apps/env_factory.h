// Which simulator a config describes, and how to build a batch of it on a
// device (what it can do comes from its entry in scenario_registry.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "apps/scenario_registry.h"
#include "core/config.h"

namespace mecrl::app {

struct EnvFactory {
  std::string scenario;
  ScenarioParams params;  // the parameters of `scenario`

  const ScenarioEntry& entry() const;
  EnvDims dims(int num_envs) const;
  // first_env: the global index of env 0, which keys its random streams
  // (data-parallel rank r makes envs r * num_envs ...: no two ranks alike).
  std::unique_ptr<VecEnv> make(int num_envs, Device device, int threads, uint32_t first_env = 0) const;
  SpaceDoc describe() const;  // observation and action spaces, for exported bundles
  // num_envs envs over several populations (train.num_users, envs/population_env.h):
  // group g with users[g] users per cell, on either device. `key_origin` names the key in errors.
  // Throws UsageError (naming key_origin) when make_population cannot: a
  // scenario without env.num_users.
  void check_population(const std::string& key_origin) const;
  std::unique_ptr<VecEnv> make_population(const std::vector<int>& users, int num_envs, Device device, int threads,
                                          uint32_t first_env, const std::string& key_origin) const;
};

// Reads env.scenario and that scenario's keys (through `r`, so they count as known).
EnvFactory read_env_factory(ConfigReader& r);
// The same when env.scenario has already been read.
EnvFactory read_env_factory_for(const std::string& scenario, ConfigReader& r);

// auto -> cuda when built with CUDA and a device is present, else cpu. When
// cuda is asked for and absent, the error names `key` and where its value
// came from (`origin`: file:line or the command line).
Device pick_device(const std::string& wanted, const std::string& key, const std::string& origin);

}  // namespace mecrl::app
