// Rollout and end-to-end training throughput (LibTorch learners), on the CPU
// and, when present, the GPU. Counters (items/s): env_steps (cell-slots),
// user_slots, decisions; end-to-end runs also report the fraction of
// iteration time spent in env, inference, GAE, update and world model.
#include <benchmark/benchmark.h>

#include "../bench_params.h"
#include "agents/trainer.h"
#include "core/config.h"
#include "cuda/backend.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"

namespace {

using namespace mecrl;


std::unique_ptr<VecEnv> make_env(bool gpu, int envs, int users) {
  if (gpu) return cuda::make_offload_env(bench::offload_params(users), envs);
  return std::make_unique<ScenarioEnv<offload::OffloadScenario, CpuExec>>(bench::offload_params(users), envs, CpuExec{0});
}

agents::AgentConfig agent_config(int envs, bool wm, bool profile = true, bool graph = false) {
  agents::AgentConfig c;
  c.train.num_envs = envs;
  c.train.rollout_steps = 64;
  c.train.total_steps = 1ll << 40;
  c.train.profile = profile;  // phase fractions need syncs: separate cases
  c.train.cuda_graph = graph;
  c.train.quiet = true;  // progress lines would interleave with the benchmark table
  c.ppo.critic = "user";
  c.ppo.reward = "mix";
  c.ppo.norm_reward = true;
  c.ppo.value_sample = 0.25f;
  c.lag.mode = "lagrangian";
  c.lag.lambda_init = {0.5f, 0.5f, 0.5f};
  c.lag.limits = {0.f, 0.f, 0.f};
  c.wm.enabled = wm;
  c.wm.hidden = 128;
  c.wm.warmup_iterations = 0;
  c.wm.gate_threshold = 1e6f;  // always imagine: measure the full cost
  return c;
}

bool skip_without_gpu(benchmark::State& state, bool gpu) {
  if (gpu && cuda::device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return true;
  }
  return false;
}

void set_rates(benchmark::State& state, double steps, int users, double decisions) {
  state.counters["env_steps"] = benchmark::Counter(steps, benchmark::Counter::kIsRate);
  state.counters["user_slots"] = benchmark::Counter(steps * users, benchmark::Counter::kIsRate);
  state.counters["decisions"] = benchmark::Counter(decisions, benchmark::Counter::kIsRate);
  state.SetItemsProcessed(static_cast<int64_t>(steps) * users);
}

void BM_Rollout(benchmark::State& state, bool gpu) {
  if (skip_without_gpu(state, gpu)) return;
  const int envs = static_cast<int>(state.range(0)), users = static_cast<int>(state.range(1));
  auto env = make_env(gpu, envs, users);
  agents::Trainer t(*env, agent_config(envs, false), "");
  t.rollout_only();  // warm-up
  double decisions = 0;
  for (auto _ : state) decisions += t.rollout_only().decisions;
  set_rates(state, static_cast<double>(state.iterations()) * envs * 64, users, decisions);
}

// Cases: profiled (phase fractions; synchronises at every phase boundary)
// and not (throughput: the one metrics read per iteration), eager and with
// the rollout as a CUDA graph.
void BM_Train(benchmark::State& state, bool gpu, bool wm, bool profile = true, bool graph = false) {
  if (skip_without_gpu(state, gpu)) return;
  const int envs = static_cast<int>(state.range(0)), users = static_cast<int>(state.range(1));
  auto env = make_env(gpu, envs, users);
  agents::Trainer t(*env, agent_config(envs, wm, profile, graph), "");
  t.iterate();  // warm-up (and, with the world model, a first model fit; the decision capacity settles)
  t.iterate();  // with a graph: the capture
  double decisions = 0, env_s = 0, inf_s = 0, gae_s = 0, upd_s = 0, wm_s = 0, total = 0;
  for (auto _ : state) {
    const auto st = t.iterate();
    decisions += st.decisions;
    env_s += st.t_env;
    inf_s += st.t_infer;
    gae_s += st.t_gae;
    upd_s += st.t_update;
    wm_s += st.t_wm;
    total += st.seconds;
  }
  set_rates(state, static_cast<double>(state.iterations()) * envs * 64, users, decisions);
  state.counters["frac_env"] = env_s / total;
  state.counters["frac_inference"] = inf_s / total;
  state.counters["frac_gae"] = gae_s / total;
  state.counters["frac_update"] = upd_s / total;
  state.counters["frac_world_model"] = wm_s / total;
}

BENCHMARK_CAPTURE(BM_Rollout, Cpu, false)->Args({16, 100})->Args({64, 50})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Train, PpoCpu, false, false)->Args({16, 100})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(BM_Train, WmPpoCpu, false, true)->Args({16, 100})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(BM_Rollout, Cuda, true)
    ->ArgsProduct({{1 << 10, 1 << 12, 1 << 14}, {50, 200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// Issue 13's targets: N = 200, 4,096 envs, profiling off.
BENCHMARK_CAPTURE(BM_Train, PpoCuda, true, false, false, false)
    ->ArgsProduct({{1 << 10, 1 << 12}, {50, 200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);
BENCHMARK_CAPTURE(BM_Train, PpoCudaGraph, true, false, false, true)
    ->ArgsProduct({{1 << 10, 1 << 12}, {200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);
BENCHMARK_CAPTURE(BM_Train, WmPpoCuda, true, true, false, false)
    ->ArgsProduct({{1 << 10, 1 << 12}, {200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);
// Where the time goes (synchronised phase timings).
BENCHMARK_CAPTURE(BM_Train, PpoCudaProfiled, true, false, true, false)
    ->Args({1 << 12, 200})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Train, WmPpoCudaProfiled, true, true, true, false)
    ->Args({1 << 12, 200})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace

