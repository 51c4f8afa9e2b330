// Evaluation of a policy on the uncertainty scenario (spec §2): one decision
// per user on eval.episodes snapshots (one env each, stepped as one batch),
// reported as mean delay per user, accuracy, offload fraction, the uplink /
// compute / local parts of the delay and the solver's wall time per snapshot.
#pragma once

#include <functional>
#include <memory>
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

// Makes the batch of envs an evaluation steps, with events (e.g. on the GPU:
// cuda::make_uncertainty_env(p, n, true)); empty: the CPU backend.
using MakeEvalEnv = std::function<std::unique_ptr<VecEnv>(const UncertaintyParams& p, int num_envs)>;

// Runs `act` once on settings.episodes snapshots (twice with env.join_view:
// the proposal pass, then the decision) and reports. The solver time is the
// wall time of the act() calls (until the device is done) divided by the
// number of snapshots (on the CPU with settings.threads threads); a baseline
// decides from the snapshot alone, so only its decision is timed. The
// report's samples are every user's delay_ms.
Report evaluate_uncertainty(const UncertaintyParams& params, const EvalSettings& settings,
                            const std::string& policy_name, const ActFn& act, const MakeEvalEnv& make_env = {});

// The policy that calls the scenario's heuristic `name` (spec §4).
ActFn baseline_policy(const std::string& name);

// Whether `name` is one of the scenario's baselines (spec §4).
bool is_baseline_name(const std::string& name);
// Throws UsageError unless it is.
void check_baseline_name(const std::string& name, const std::string& origin);

}  // namespace mecrl::uncertainty
