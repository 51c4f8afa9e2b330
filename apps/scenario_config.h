// Loading a config file with overrides, and picking the scenario it names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace mecrl::app {

// The config file, then `overrides` (key=value). A file without `base:`
// names only what it changes: the scenario's preset, configs/<scenario>.yaml
// (its defaults and hardware tables), goes underneath, as Hydra's defaults
// list does. A file with `base:` says itself what it builds on.
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

// configs/<scenario>.yaml of the scenario `cfg` names (offload when none);
// nullopt for a scenario name nobody knows (read_scenario reports it).
// The directory is $MECRL_CONFIG_DIR, else the source tree's configs/.
std::optional<std::string> scenario_preset(const Config& cfg);

// env.scenario (offload | uncertainty | cartpole), read through `r`.
std::string read_scenario(ConfigReader& r);

}  // namespace mecrl::app
