// Throughput of the offload simulator on the CPU backend.
// Counters: items/s = user_slots/s (N per cell-slot); env_steps (cell-slots),
// decisions (users that decided; spec §4: benchmarks report all three);
// bytes/s and bytes_per_user_slot from the layout's traffic model
// (traffic.h). Actions come from the `random` baseline, computed outside the
// timed region. Per core: OMP_NUM_THREADS=1.
#include <benchmark/benchmark.h>

#include "bench_params.h"
#include "traffic.h"

#include <vector>

#include "envs/cpu_exec.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"

namespace {

using mecrl::offload::OffloadScenario;
using Env = mecrl::ScenarioEnv<OffloadScenario, mecrl::CpuExec>;

void BM_OffloadStepCpu(benchmark::State& state) {
  const int envs = static_cast<int>(state.range(0));
  const int users = static_cast<int>(state.range(1));
  const auto params = mecrl::bench::offload_params(users);
  Env env(params, envs, mecrl::CpuExec{0});
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
  mecrl::bench::report_step_rates(state, envs, users, mecrl::bench::step_traffic<OffloadScenario>(params));
  state.counters["decisions"] = benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_OffloadStepCpu)
    ->ArgNames({"envs", "N"})
    ->ArgsProduct({{1, 64, 4096}, {10, 50, 200}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
