// Scenario parameters for the benchmarks: the shipped preset with N set.
#pragma once

#include <string>

#include "core/config.h"
#include "envs/offload/params_config.h"
#include "envs/uncertainty/params_config.h"

namespace mecrl::bench {

inline Config preset_with_users(const char* file, int users) {
  Config cfg = Config::load(std::string(MECRL_SOURCE_DIR "/configs/") + file);
  cfg.set("env.num_users", std::to_string(users), "bench");
  return cfg;
}

inline offload::OffloadParams offload_params(int users) {
  const Config cfg = preset_with_users("offload.yaml", users);
  ConfigReader r(cfg);
  return offload::read_offload_params(r);
}

inline uncertainty::UncertaintyParams uncertainty_params(int users) {
  const Config cfg = preset_with_users("uncertainty.yaml", users);
  ConfigReader r(cfg);
  return uncertainty::read_uncertainty_params(r);
}

}  // namespace mecrl::bench
