// Evaluation of a policy on the uncertainty scenario (spec §2): one decision
// per user on eval.episodes snapshots (one env each, stepped as one batch),
// reported as mean delay per user, accuracy, offload fraction, the uplink /
// compute / local parts of the delay and the solver's wall time per snapshot.
#pragma once

#include <functional>
#include <string>

#include "core/config.h"
#include "core/report.h"
#include "envs/uncertainty/params.h"
#include "envs/vec_env.h"

namespace mecrl::uncertainty {

struct EvalSettings {
  int episodes = 500;  // snapshots, one env each
  int threads = 0;     // CPU threads for act() and step() (0 = all cores)
};

EvalSettings read_eval_settings(ConfigReader& r);

// A policy: fills actions [E, N] for the current snapshot (envs/vec_env.h).
using mecrl::ActFn;

// Runs `act` once on settings.episodes snapshots (CPU backend) and reports.
// The solver time is the wall time of the act() call divided by the number
// of snapshots (with settings.threads threads). The report's samples are
// every user's delay_ms.
Report evaluate_uncertainty(const UncertaintyParams& params, const EvalSettings& settings,
                            const std::string& policy_name, const ActFn& act);

// The policy that calls the scenario's heuristic `name` (spec §4).
ActFn baseline_policy(const std::string& name);

// Throws UsageError unless `name` is one of the scenario's baselines.
void check_baseline_name(const std::string& name, const std::string& origin);

}  // namespace mecrl::uncertainty
