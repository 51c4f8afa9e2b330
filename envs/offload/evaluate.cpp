#include "envs/offload/evaluate.h"

#include <fmt/format.h>

#include <vector>

#include "core/error.h"
#include "core/stats.h"
#include "envs/cpu_exec.h"
#include "envs/host_mirror.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"

namespace mecrl::offload {

EvalSettings read_eval_settings(ConfigReader& r) {
  EvalSettings s;
  r.get("eval.slots", s.slots, 1, 1 << 24, "slots per evaluation episode T_eval");
  r.get("eval.warmup_slots", s.warmup_slots, 0, 1 << 24, "leading slots excluded from every metric");
  r.get_positive("eval.slo_s", s.slo_s, 1e6, "goodput SLO on end-to-end latency, s");
  r.get("eval.episodes", s.episodes, 1, 1 << 20, "episodes, run as one batch of envs");
  r.get("threads", s.threads, 0, 1024, "CPU threads for env stepping (0 = all cores)");
  if (s.warmup_slots >= s.slots) {
    const ConfigValue* cv = r.config().find("eval.warmup_slots");
    throw UsageError(fmt::format("{}: eval.warmup_slots = {} must be below eval.slots = {}",
                                 cv ? cv->origin : "default", s.warmup_slots, s.slots));
  }
  return s;
}

ActFn baseline_policy(const std::string& name) {
  return [name](VecEnv& env, int32_t* actions) { env.act_baseline(name, actions); };
}

Report evaluate(const OffloadParams& params, const EvalSettings& st, const std::string& policy_name,
                const ActFn& act, ProgressLine* progress, const MakeEvalEnv& make_env) {
  OffloadParams p = params;
  p.episode_slots = st.slots;
  const int E = st.episodes, N = p.num_users, M = p.num_servers;
  const std::unique_ptr<VecEnv> env =
      make_env ? make_env(p, E)
               : std::make_unique<ScenarioEnv<OffloadScenario, CpuExec>>(p, E, CpuExec{st.threads}, /*with_events=*/true);
  HostMirror<OffloadScenario> host(p, *env);
  const OffloadEvents& ev = host.events();
  const StepBuffers& out = host.buffers();
  int32_t* actions = env->action_buffer();  // [E, N] on the env's device

  // Pooled over all measured completions.
  std::vector<double> latency, ttft;
  double dev_energy = 0, srv_energy = 0, correct = 0, halluc = 0, offloaded = 0, good = 0;
  long decisions = 0;
  // Per episode, for standard errors and per-device budgets.
  std::vector<double> ep_lat_sum(E, 0), ep_done(E, 0), ep_cost(static_cast<size_t>(E) * kNumCosts, 0);
  std::vector<double> user_energy(static_cast<size_t>(E) * N, 0);
  std::vector<double> ep_inflight_end(E, 0);
  double util_sum = 0, busy_sum = 0, batch_busy_sum = 0;
  const int measured = st.slots - st.warmup_slots;

  for (int t = 0; t < st.slots; ++t) {
    act(*env, actions);
    env->step(actions);
    host.refresh(*env);
    if (progress) progress->set(static_cast<double>(t + 1) * E);
    if (t == st.slots - 1) {
      for (int e = 0; e < E; ++e) ep_inflight_end[e] = out.ep_info[static_cast<size_t>(e) * kEpisodeInfo + 6];
    }
    if (t < st.warmup_slots) continue;
    for (int e = 0; e < E; ++e) {
      decisions += out.decisions[e];
      for (int c = 0; c < kNumCosts; ++c) {
        ep_cost[static_cast<size_t>(e) * kNumCosts + c] += out.costs[static_cast<size_t>(e) * kNumCosts + c];
      }
      for (int j = 0; j < M; ++j) {
        const double b = ev.server_batch[static_cast<size_t>(e) * M + j];
        util_sum += b / p.d.max_batch[j];
        busy_sum += b > 0 ? 1.0 : 0.0;
        batch_busy_sum += b;
      }
      for (int i = 0; i < N; ++i) {
        const size_t o = static_cast<size_t>(e) * N + i;
        user_energy[o] += ev.user_energy_j[o];
        if (!ev.done[o]) continue;
        latency.push_back(ev.latency_s[o]);
        ttft.push_back(ev.ttft_s[o]);
        dev_energy += ev.device_energy_j[o];
        srv_energy += ev.server_energy_j[o];
        correct += ev.correct[o];
        halluc += ev.hallucinated[o];
        offloaded += ev.offloaded[o];
        good += ev.latency_s[o] <= st.slo_s ? 1.0 : 0.0;
        ep_lat_sum[e] += ev.latency_s[o];
        ep_done[e] += 1;
      }
    }
  }

  const double n_done = static_cast<double>(latency.size());
  const double window_s = measured * p.dt_s;
  std::vector<double> ep_lat_mean, ep_inflight_frac;
  for (int e = 0; e < E; ++e) {
    if (ep_done[e] > 0) ep_lat_mean.push_back(ep_lat_sum[e] / ep_done[e]);
    ep_inflight_frac.push_back(ep_inflight_end[e] / std::max(1.0, ep_done[e] + ep_inflight_end[e]));
  }
  double within_budget = 0;
  std::vector<double> ep_power(E, 0);
  for (int e = 0; e < E; ++e) {
    for (int i = 0; i < N; ++i) {
      const double w = user_energy[static_cast<size_t>(e) * N + i] / window_s;
      within_budget += w <= p.energy_budget_w ? 1.0 : 0.0;
      ep_power[e] += w / N;
    }
  }

  Report r;
  r.title = fmt::format("offload | policy {} | N = {}, M = {} | {} episodes x {} slots (first {} excluded)",
                        policy_name, N, M, E, st.slots, st.warmup_slots);
  r.header = {{"scenario", "offload"},
              {"policy", policy_name},
              {"num_users", std::to_string(N)},
              {"num_servers", std::to_string(M)},
              {"episodes", std::to_string(E)},
              {"slots", std::to_string(st.slots)},
              {"warmup_slots", std::to_string(st.warmup_slots)},
              {"seed", std::to_string(p.seed)}};
  r.samples = {{"latency_s", latency}, {"ttft_s", ttft}};
  std::vector<double> lat_sorted = latency, ttft_sorted = ttft;
  r.add("completions", n_done, "queries completed in the measured window");
  r.add("latency_mean_s", mean_of(latency), "end-to-end latency, mean", standard_error(ep_lat_mean));
  r.add("latency_p50_s", quantile(lat_sorted, 0.50), "end-to-end latency, median");
  r.add("latency_p95_s", quantile(lat_sorted, 0.95), "end-to-end latency, 95th percentile");
  r.add("latency_p99_s", quantile(lat_sorted, 0.99), "end-to-end latency, 99th percentile");
  r.add("ttft_mean_s", mean_of(ttft), "time to first token, mean");
  r.add("ttft_p50_s", quantile(ttft_sorted, 0.50), "time to first token, median");
  r.add("ttft_p95_s", quantile(ttft_sorted, 0.95), "time to first token, 95th percentile");
  r.add("ttft_p99_s", quantile(ttft_sorted, 0.99), "time to first token, 99th percentile");
  r.add("energy_j_per_query", n_done > 0 ? dev_energy / n_done : NAN, "device energy per completed query, J");
  r.add("device_power_w", mean_of(ep_power), "average device power per user, W", standard_error(ep_power));
  r.add("server_energy_j_per_query", n_done > 0 ? srv_energy / n_done : NAN, "server GPU energy per query, J");
  r.add("accuracy", n_done > 0 ? correct / n_done : NAN, "fraction of answers correct");
  r.add("hallucination", n_done > 0 ? halluc / n_done : NAN, "fraction of answers hallucinated");
  r.add("offload_fraction", n_done > 0 ? offloaded / n_done : NAN, "fraction of queries served at an edge server");
  const double server_slots = static_cast<double>(measured) * E * M;
  r.add("server_utilisation", util_sum / server_slots, "time-weighted mean b / B_max");
  r.add("server_busy_fraction", busy_sum / server_slots, "fraction of time with b > 0");
  r.add("server_mean_batch", busy_sum > 0 ? batch_busy_sum / busy_sum : 0.0, "mean batch size b while busy");
  r.add("goodput_fraction", n_done > 0 ? good / n_done : NAN,
        fmt::format("fraction of completions within the {:g} s SLO", st.slo_s));
  r.add("goodput_per_s", good / (window_s * E), "SLO-meeting completions per second per cell");
  r.add("decisions_per_s", static_cast<double>(decisions) / (window_s * E), "offloading decisions per second per cell");
  r.add("inflight_fraction", mean_of(ep_inflight_frac), "queries still in flight at the end / all counted");
  const char* cost_names[kNumCosts] = {"energy", "accuracy", "hallucination"};
  const char* cost_docs[kNumCosts] = {"mean energy cost per slot (J over budget per user)",
                                      "mean accuracy cost per slot (A_min - correct, per user)",
                                      "mean hallucination cost per slot (hal - H_max, per user)"};
  for (int c = 0; c < kNumCosts; ++c) {
    std::vector<double> per_ep(E);
    for (int e = 0; e < E; ++e) per_ep[e] = ep_cost[static_cast<size_t>(e) * kNumCosts + c] / measured;
    const double m = mean_of(per_ep);
    r.add(fmt::format("cost_{}", cost_names[c]), m, cost_docs[c], standard_error(per_ep));
    r.add(fmt::format("satisfied_{}", cost_names[c]), m <= 0 ? 1.0 : 0.0, "1 if the mean cost is <= 0");
  }
  r.add("devices_within_budget", within_budget / (static_cast<double>(E) * N),
        "fraction of devices whose own average power is within budget");
  const double all_ok = (r.value("satisfied_energy") > 0 && r.value("satisfied_accuracy") > 0 &&
                         r.value("satisfied_hallucination") > 0)
                            ? 1.0
                            : 0.0;
  r.add("satisfied_all", all_ok, "1 if every constraint is met");
  return r;
}

}  // namespace mecrl::offload
