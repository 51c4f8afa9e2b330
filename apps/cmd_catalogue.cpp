// mecrl catalogue: the four metrics of every model variant in the tables
// (envs/offload/catalogue.h), as a table or as JSON for scripts/report.
#include <fmt/format.h>

#include <iostream>

#include "apps/commands.h"
#include "apps/scenario_config.h"
#include "core/error.h"
#include "envs/offload/catalogue.h"
#include "envs/offload/params_config.h"

namespace mecrl::app {

int run_catalogue(const CommonArgs& args) {
  const Config cfg = load_config(args.config, args.overrides);
  ConfigReader r(cfg);
  if (const std::string sc = read_scenario(r); sc != "offload") {
    const ConfigValue* cv = cfg.find("env.scenario");
    throw UsageError(fmt::format("{}: env.scenario = '{}': the catalogue reads the offload tables (try "
                                 "configs/offload.yaml)",
                                 cv ? cv->origin : args.config, sc));
  }
  offload::OffloadTables tables;
  const offload::OffloadParams p = offload::read_offload_params(r, &tables);
  const offload::CatalogueSettings s = offload::read_catalogue_settings(r);
  for (const char* k : {"eval.", "agent.", "train.", "ppo.", "wm.", "lagrangian.", "resume"}) r.allow_prefix(k);
  r.finish();
  const auto entries = offload::model_catalogue(p, tables, s);
  if (args.json) {
    offload::print_catalogue_json(std::cout, entries, tables, s);
  } else {
    offload::print_catalogue_table(std::cout, entries, tables, s);
  }
  return 0;
}

}  // namespace mecrl::app
