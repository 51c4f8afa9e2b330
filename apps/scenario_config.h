// Loading a config file with overrides, and picking the scenario it names.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace mecrl::app {

Config load_config(const std::string& path, const std::vector<std::string>& overrides);
// env.scenario (offload | uncertainty | cartpole), read through `r`.
std::string read_scenario(ConfigReader& r);

}  // namespace mecrl::app
