// Parameter sweeps of the uncertainty scenario: evaluate several policies
// over the Cartesian product of config assignments (e.g. N x tau) and write
// one CSV row per (point, policy).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/progress.h"
#include "core/report.h"
#include "envs/vec_env.h"

namespace mecrl::uncertainty {

// One grid axis: a config key and the values it takes ("env.tau=0.6,0.7").
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
  std::string origin;  // for error messages: "--set 'env.tau=0.6,0.7'"
};

// Parses "KEY=V1,V2,..." (UsageError if malformed).
SweepAxis parse_sweep_axis(const std::string& text);

struct SweepRequest {
  Config base;                        // config file with its plain key=value overrides (and eval.episodes)
  std::vector<std::string> policies;  // baseline names (or whatever `resolve` accepts)
  std::vector<SweepAxis> axes;        // the grid: first axis varies slowest
  std::string out_csv;                // written atomically (temp file, then rename)
  // Reads the keys the caller owns (env.scenario, agent.* prefixes, ...)
  // before the unknown-key check of each point.
  std::function<void(ConfigReader&)> read_other;
  // Turns a policy name into an ActFn (UsageError if unknown). Default: the
  // scenario's baselines only; the CLI adds trained checkpoints.
  std::function<ActFn(const std::string&)> resolve;
};

struct SweepRow {
  std::vector<std::pair<std::string, std::string>> point;  // (key, value) per axis
  std::string policy;
  Report report;
};

// Validates every point and policy first (UsageError, nothing run, nothing
// written), then evaluates them in grid order, logging one line per row to
// `log` (or, given `progress`, as its notes while it counts the rows), and
// writes the CSV: columns = every grid key, policy, then every report
// metric (and `<metric>_se` where the metric has a standard error).
std::vector<SweepRow> sweep_uncertainty(const SweepRequest& req, std::ostream& log,
                                        ProgressLine* progress = nullptr);

}  // namespace mecrl::uncertainty
