// Evaluation of a policy on the offload scenario: the metrics of spec §8 over
// a batch of episodes (one per env) of eval.slots slots, the first
// eval.warmup_slots of which are excluded from every metric (spec §10.1).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/progress.h"
#include "core/report.h"
#include "envs/offload/params.h"
#include "envs/vec_env.h"

namespace mecrl::offload {

struct EvalSettings {
  int slots = 2400;         // T_eval
  int warmup_slots = 480;   // excluded from metrics
  float slo_s = 10.f;       // goodput SLO on end-to-end latency
  int episodes = 64;        // one per env, stepped as one batch
  int threads = 0;          // CPU threads (0 = all cores)
};

EvalSettings read_eval_settings(ConfigReader& r);

using mecrl::ActFn;

// Makes the batch of envs an evaluation steps, with events (e.g. on the GPU:
// cuda::make_offload_env(p, n, true)); empty: the CPU backend.
using MakeEvalEnv = std::function<std::unique_ptr<VecEnv>(const OffloadParams& p, int num_envs)>;

// Runs `act` on settings.episodes fresh episodes and reports; the report's
// samples are every measured completion's latency_s and ttft_s. `progress`
// (optional) advances by E cell-slots per slot. The metrics are the same on
// every backend (the env step is; envs/host_mirror.h reads them).
Report evaluate(const OffloadParams& params, const EvalSettings& settings, const std::string& policy_name,
                const ActFn& act, ProgressLine* progress = nullptr, const MakeEvalEnv& make_env = {});

// The policy that calls the scenario's heuristic `name` (spec §9).
ActFn baseline_policy(const std::string& name);

}  // namespace mecrl::offload
