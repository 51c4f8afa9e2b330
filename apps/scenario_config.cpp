#include "apps/scenario_config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "apps/scenario_registry.h"

namespace mecrl::app {
namespace {

const std::vector<std::string>& scenarios() {
  static const std::vector<std::string> names = scenario_names();
  return names;
}

std::string config_dir() {
  const char* env = std::getenv("MECRL_CONFIG_DIR");
  return env != nullptr && *env != '\0' ? env : MECRL_CONFIG_DIR;
}

}  // namespace

std::optional<std::string> scenario_preset(const Config& cfg) {
  const ConfigValue* cv = cfg.find("env.scenario");
  const std::string scenario = cv ? cv->text : "offload";
  if (std::find(scenarios().begin(), scenarios().end(), scenario) == scenarios().end()) return std::nullopt;
  return config_dir() + "/" + scenario + ".yaml";
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  Config cfg = Config::load(path);
  cfg.override_with(overrides);
  if (cfg.names_base()) return cfg;
  const std::optional<std::string> preset = scenario_preset(cfg);
  if (!preset) return cfg;
  std::error_code ec;
  const std::string id = std::filesystem::weakly_canonical(*preset, ec).string();
  if (std::find(cfg.files().begin(), cfg.files().end(), id) != cfg.files().end()) return cfg;  // it is the preset
  Config layered = Config::load(*preset);
  layered.merge(cfg);
  return layered;
}

std::string read_scenario(ConfigReader& r) {
  std::string scenario = "offload";
  r.get("env.scenario", scenario, scenarios(), "which simulator this config describes");
  return scenario;
}

}  // namespace mecrl::app
