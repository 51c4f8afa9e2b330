// mecrl sweep: baselines of the uncertainty scenario over a grid of config
// values (the Cartesian product of the --set lists), one CSV row per
// (point, policy); a line per row on stderr (with a progress line above
// them on a terminal), a summary table on stdout.
#include <fmt/format.h>

#include <iostream>

#include "apps/commands.h"
#include "agents/agent_config.h"
#include "apps/scenario_config.h"
#include "apps/settings.h"
#include "core/error.h"
#include "core/progress.h"
#include "envs/uncertainty/scenario.h"
#include "envs/uncertainty/sweep.h"

namespace mecrl::app {

int run_sweep(const SweepArgs& args) {
  uncertainty::SweepRequest req;
  req.base = load_config(args.config, args.overrides);
  // --episodes is eval.episodes given on the command line: same range check.
  if (!args.episodes.empty()) req.base.set("eval.episodes", args.episodes, "--episodes " + args.episodes);
  const Settings base = read_settings(req.base);  // every key checked once, unknown keys first
  if (base.env.scenario != "uncertainty") {
    const ConfigValue* cv = req.base.find("env.scenario");
    throw UsageError(fmt::format("{}: env.scenario = '{}': mecrl sweep runs the uncertainty scenario only",
                                 cv ? cv->origin : args.config, base.env.scenario));
  }
  req.policies = args.policies;
  for (const auto& s : args.sets) req.axes.push_back(uncertainty::parse_sweep_axis(s));
  req.out_csv = args.out;
  // The keys of a point besides the scenario's: the learner's (checked above
  // for the base config; a --set of one is checked per point).
  const int costs = base.env.dims(1).costs;
  req.read_other = [costs](ConfigReader& r) {
    read_eval_protocol(read_scenario(r), r);
    agents::read_agent_config(r, costs);
  };
  req.resolve = [](const std::string& pol) {
    return resolve_policy(pol, uncertainty::UncertaintyScenario::baseline_names(), "--policies");
  };
  size_t points = 1;
  for (const auto& ax : req.axes) points *= ax.values.size();
  ProgressLine progress("sweep", static_cast<double>(points * req.policies.size()), "points",
                        ProgressLine::terminal(false));
  const auto rows = uncertainty::sweep_uncertainty(req, std::cerr, &progress);
  progress.finish();

  // Summary: the grid values, then the headline metrics.
  std::string head;
  for (const auto& [k, v] : rows.front().point) head += fmt::format("{:>16} ", k);
  std::cout << head << fmt::format("{:>8} {:>10} {:>8} {:>10} {:>9} {:>10} {:>10}\n", "policy", "delay_ms", "+/-se",
                                   "acc_pct", "offload", "uplink_ms", "solver_ms");
  for (const auto& row : rows) {
    std::string line;
    for (const auto& [k, v] : row.point) line += fmt::format("{:>16} ", v);
    const Report& r = row.report;
    const Metric* d = r.find("delay_ms");
    std::cout << line
              << fmt::format("{:>8} {:>10.3f} {:>8.3f} {:>10.2f} {:>9.3f} {:>10.3f} {:>10.4f}\n", row.policy,
                             d->value, d->se, r.value("accuracy_pct"), r.value("offload_fraction"),
                             r.value("uplink_ms"), r.value("solver_ms"));
  }
  std::cerr << "wrote " << args.out << " (" << rows.size() << " rows)\n";
  return 0;
}

}  // namespace mecrl::app
