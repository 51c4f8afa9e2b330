#include "apps/scenario_config.h"

namespace mecrl::app {

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  Config cfg = Config::load(path);
  cfg.override_with(overrides);
  return cfg;
}

std::string read_scenario(ConfigReader& r) {
  std::string scenario = "offload";
  r.get("env.scenario", scenario, {"offload", "uncertainty", "cartpole"}, "which simulator this config describes");
  return scenario;
}

}  // namespace mecrl::app
