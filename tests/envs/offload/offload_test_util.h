// Shared helpers for the offload tests: default params from the shipped
// config (the tables live there), and a CPU env type.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"

namespace mecrl::offload::testing {

using CpuEnv = ScenarioEnv<OffloadScenario, CpuExec>;

inline OffloadParams params_with(const std::vector<std::string>& overrides = {}) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.override_with(overrides);
  ConfigReader r(cfg);
  return read_offload_params(r);
}

}  // namespace mecrl::offload::testing
