// mecrl config: every key the config may hold, with value, range and origin.
#include <fmt/format.h>

#include <iostream>

#include "apps/commands.h"
#include "apps/scenario_config.h"
#include "apps/settings.h"

namespace mecrl::app {

int run_config(const CommonArgs& args, bool as_yaml) {
  const Settings s = read_settings(load_config(args.config, args.overrides));
  if (as_yaml) {
    write_config_yaml(std::cout, s.resolved);
    return 0;
  }
  for (const auto& k : s.resolved) {
    std::cout << fmt::format("{:<44} {:<18} {:<24} {}  [{}]\n", k.key, k.value, k.allowed, k.doc, k.origin);
  }
  return 0;
}

}  // namespace mecrl::app
