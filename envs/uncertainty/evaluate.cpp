// evaluate_uncertainty: one batched step of `episodes` envs, metrics per
// snapshot, standard errors across snapshots (core/stats.h).
#include "envs/uncertainty/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/error.h"
#include "core/stats.h"
#include "envs/cpu_exec.h"
#include "envs/host_mirror.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl::uncertainty {

EvalSettings read_eval_settings(ConfigReader& r) {
  EvalSettings s;
  r.get("eval.episodes", s.episodes, 1, 1 << 20, "snapshots evaluated, one env each, as one batch");
  r.get("threads", s.threads, 0, 1024, "CPU threads for the solver and the env (0 = all cores)");
  return s;
}

ActFn baseline_policy(const std::string& name) {
  return [name](VecEnv& env, int32_t* actions) { env.act_baseline(name, actions); };
}

bool is_baseline_name(const std::string& name) {
  const auto names = UncertaintyScenario::baseline_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

void check_baseline_name(const std::string& name, const std::string& origin) {
  if (is_baseline_name(name)) return;
  const auto names = UncertaintyScenario::baseline_names();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw UsageError(fmt::format("{}: policy '{}' is not a baseline of the uncertainty scenario ({})", origin, name,
                               list));
}

Report evaluate_uncertainty(const UncertaintyParams& p, const EvalSettings& st, const std::string& policy_name,
                            const ActFn& act, const MakeEvalEnv& make_env) {
  const int E = st.episodes, N = p.num_users;
  const std::unique_ptr<VecEnv> env =
      make_env ? make_env(p, E)
               : std::make_unique<ScenarioEnv<UncertaintyScenario, CpuExec>>(p, E, CpuExec{st.threads}, true);
  HostMirror<UncertaintyScenario> host(p, *env);
  const UncertaintyEvents& ev = host.events();
  int32_t* actions = env->action_buffer();  // [E, N] on the env's device

  // With the join view a snapshot takes two steps: a proposal pass, then the
  // decision that counts. A baseline decides from the snapshot alone, so only
  // its decision is timed; a learned policy needs both forward passes.
  const bool baseline = is_baseline_name(policy_name);
  const int passes = p.join_view ? 2 : 1;
  double solver_s = 0;
  for (int pass = 0; pass < passes; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    act(*env, actions);
    env->synchronize();
    const auto t1 = std::chrono::steady_clock::now();
    if (!baseline || pass + 1 == passes) solver_s += std::chrono::duration<double>(t1 - t0).count();
    env->step(actions);
  }
  host.refresh(*env);

  // Per snapshot (for means and standard errors), and pooled over users.
  std::vector<double> delay(E), accuracy(E), offload(E), uplink(E), compute(E), local(E), cost(E);
  std::vector<double> pooled;
  pooled.reserve(static_cast<size_t>(E) * N);
  double mandatory = 0, violations = 0;
  for (int e = 0; e < E; ++e) {
    double d = 0, c = 0, o = 0, up = 0, cp = 0, lo = 0;
    for (int i = 0; i < N; ++i) {
      const size_t k = static_cast<size_t>(e) * N + i;
      d += ev.delay_s[k];
      up += ev.uplink_s[k];
      cp += ev.compute_s[k];
      lo += ev.offloaded[k] ? 0.0 : ev.delay_s[k];
      c += ev.correct[k];
      o += ev.offloaded[k];
      mandatory += ev.mandatory[k];
      violations += ev.mandatory[k] && !ev.offloaded[k] ? 1 : 0;
      pooled.push_back(1e3 * ev.delay_s[k]);
    }
    delay[e] = 1e3 * d / N;
    uplink[e] = 1e3 * up / N;
    compute[e] = 1e3 * cp / N;
    local[e] = 1e3 * lo / N;
    accuracy[e] = 100.0 * c / N;
    offload[e] = o / N;
    cost[e] = p.accuracy_target - c / N;
  }
  const double users = static_cast<double>(E) * N;

  Report r;
  r.title = fmt::format("uncertainty | policy {} | N = {}, M = {}, tau = {:g}{} | {} snapshots", policy_name, N,
                        p.num_servers, p.tau, p.join_view ? " | join view" : "", E);
  r.header = {{"scenario", "uncertainty"},
              {"policy", policy_name},
              {"num_users", std::to_string(N)},
              {"num_servers", std::to_string(p.num_servers)},
              {"tau", fmt::format("{:g}", p.tau)},
              {"snapshots", std::to_string(E)},
              {"seed", std::to_string(p.seed)},
              {"threads", std::to_string(st.threads)}};
  r.samples = {{"delay_ms", pooled}};
  r.add("delay_ms", mean_of(delay), "mean delay per user, ms", standard_error(delay));
  r.add("delay_p50_ms", quantile(pooled, 0.50), "delay per user, median over all users, ms");
  r.add("delay_p95_ms", quantile(pooled, 0.95), "delay per user, 95th percentile over all users, ms");
  r.add("accuracy_pct", mean_of(accuracy), "answers correct, %", standard_error(accuracy));
  r.add("offload_fraction", mean_of(offload), "fraction of users offloaded", standard_error(offload));
  r.add("uplink_ms", mean_of(uplink), "uplink part of the mean delay (local users count 0), ms",
        standard_error(uplink));
  r.add("compute_ms", mean_of(compute), "server-compute part of the mean delay (local users count 0), ms",
        standard_error(compute));
  r.add("local_ms", mean_of(local), "on-device part of the mean delay, ms", standard_error(local));
  r.add("mandatory_fraction", mandatory / users, "fraction of users with alpha > tau");
  r.add("mask_violations", violations / users, "fraction of users with alpha > tau run locally");
  r.add("cost_accuracy", mean_of(cost), fmt::format("A_target ({:g}) - fraction correct, per snapshot",
                                                    p.accuracy_target), standard_error(cost));
  r.add("satisfied_accuracy", mean_of(cost) <= 0 ? 1.0 : 0.0, "1 if the mean accuracy cost is <= 0");
  r.add("solver_ms", 1e3 * solver_s / E, "policy wall time per snapshot (act() / snapshots), ms");
  return r;
}

}  // namespace mecrl::uncertainty
