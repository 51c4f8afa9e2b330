#include "apps/settings.h"

#include <filesystem>

#include "apps/scenario_config.h"

namespace mecrl::app {
namespace {

void read_all(ConfigReader& r, Settings& s) {
  s.env = read_env_factory(r);
  s.eval = read_eval_protocol(s.env.scenario, r);
  s.agent = agents::read_agent_config(r, s.env.dims(1).costs);
}

}  // namespace

std::string origin_of(const Settings& s, const std::string& key) {
  for (const auto& k : s.resolved) {
    if (k.key == key) return k.origin;
  }
  return "default";
}

EvalProtocol read_eval_protocol(const std::string& scenario, ConfigReader& r) {
  EvalProtocol e;
  if (const ScenarioEntry* entry = find_scenario(scenario)) entry->read_eval(r, e);
  r.get("eval.deterministic", e.deterministic,
        "trained policies: most likely action (true) or sampled from the policy (false)");
  r.get("eval.device", e.device, {"auto", "cpu", "cuda"},
        "where the evaluation's envs step (auto = cuda when a GPU is present; exported bundles run on the cpu)");
  return e;
}

Settings read_settings(const Config& cfg) {
  std::error_code ec;
  if (const auto preset = scenario_preset(cfg); preset && std::filesystem::is_regular_file(*preset, ec)) {
    const Config defaults = Config::load(*preset);
    ConfigReader schema(defaults);
    Settings ignored;
    read_all(schema, ignored);
    schema.check_keys(cfg);
  }
  ConfigReader r(cfg);
  Settings s;
  read_all(r, s);
  r.finish();
  s.resolved = r.resolved();
  return s;
}

}  // namespace mecrl::app
