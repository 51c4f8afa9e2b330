// Which simulator a config describes, and how to build a batch of it on a
// device: the one place that knows every scenario.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "envs/space_doc.h"
#include "envs/vec_env.h"

namespace mecrl::app {

struct EnvFactory {
  std::string scenario;
  std::function<std::unique_ptr<VecEnv>(int num_envs, Device device, int threads)> make;
  std::function<SpaceDoc()> describe;  // observation and action spaces, for exported bundles
};

// Reads env.scenario and that scenario's keys (through `r`, so they count as known).
EnvFactory read_env_factory(ConfigReader& r);
// The same when env.scenario has already been read.
EnvFactory read_env_factory_for(const std::string& scenario, ConfigReader& r);

// auto -> cuda when built with CUDA and a device is present, else cpu.
Device pick_device(const std::string& wanted);

}  // namespace mecrl::app
