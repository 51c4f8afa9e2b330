// Throughput of the offload simulator on the CPU backend.
// Counters (items/s): env_steps = cell-slots, user_slots = N per cell-slot,
// decisions = users that decided (spec §4: benchmarks report all three).
// Actions come from the `random` baseline, computed outside the timed region.
#include <benchmark/benchmark.h>

#include "bench_params.h"

#include <vector>

#include "core/config.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"

namespace {

using mecrl::offload::OffloadScenario;
using Env = mecrl::ScenarioEnv<OffloadScenario, mecrl::CpuExec>;


void BM_OffloadStepCpu(benchmark::State& state) {
  const int envs = static_cast<int>(state.range(0));
  const int users = static_cast<int>(state.range(1));
  Env env(mecrl::bench::offload_params(users), envs, mecrl::CpuExec{0});
  std::vector<int32_t> actions(static_cast<size_t>(envs) * users, 0);
  // Warm up past the empty-cell transient so queues are in steady state.
  for (int t = 0; t < 200; ++t) {
    env.act_baseline("random", actions.data());
    env.step(actions.data());
  }
  int64_t decisions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    env.act_baseline("random", actions.data());
    state.ResumeTiming();
    env.step(actions.data());
    state.PauseTiming();
    for (int e = 0; e < envs; ++e) decisions += env.buffers().decisions[e];
    state.ResumeTiming();
  }
  const double steps = static_cast<double>(state.iterations()) * envs;
  state.counters["env_steps"] = benchmark::Counter(steps, benchmark::Counter::kIsRate);
  state.counters["user_slots"] = benchmark::Counter(steps * users, benchmark::Counter::kIsRate);
  state.counters["decisions"] = benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(static_cast<int64_t>(steps) * users);
}

BENCHMARK(BM_OffloadStepCpu)
    ->ArgNames({"envs", "N"})
    ->ArgsProduct({{1, 64, 4096}, {10, 50, 200}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

