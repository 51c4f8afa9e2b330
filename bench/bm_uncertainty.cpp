// The uncertainty scenario on the CPU backend.
//   BM_UncertaintySolverCpu: a baseline's solver (GOA by default) on a batch
//     of snapshots; items/s = snapshots solved per second (spec: GOA for
//     4096 snapshots of N = 120 "well under a minute").
//   BM_UncertaintyStepCpu: env throughput, one step = one snapshot: delays of
//     every user, reward, auto-reset (the next snapshot's draw and
//     observation). items/s = snapshots; user_decisions = N per snapshot.
//     Actions come from GOA, computed outside the timed region.
#include <benchmark/benchmark.h>

#include "bench_params.h"

#include <string>
#include <vector>

#include "core/config.h"
#include "envs/cpu_exec.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace {

using Env = mecrl::ScenarioEnv<mecrl::uncertainty::UncertaintyScenario, mecrl::CpuExec>;
const char* kPolicies[] = {"goa", "dmin", "random", "edge"};


void BM_UncertaintySolverCpu(benchmark::State& state) {
  const int envs = static_cast<int>(state.range(0));
  const int users = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  const std::string policy = kPolicies[state.range(3)];
  Env env(mecrl::bench::uncertainty_params(users), envs, mecrl::CpuExec{threads});
  std::vector<int32_t> actions(static_cast<size_t>(envs) * users, 0);
  for (auto _ : state) {
    env.act_baseline(policy, actions.data());
    benchmark::DoNotOptimize(actions.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * envs);
  state.SetLabel(policy + (threads == 0 ? ", all cores" : ", " + std::to_string(threads) + " thread(s)"));
}

BENCHMARK(BM_UncertaintySolverCpu)
    ->ArgNames({"envs", "N", "threads", "policy"})
    ->Args({4096, 120, 1, 0})
    ->Args({4096, 120, 0, 0})
    ->Args({4096, 50, 0, 0})
    ->Args({4096, 120, 0, 1})
    ->Args({4096, 120, 0, 2})
    ->Args({4096, 120, 0, 3})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_UncertaintyStepCpu(benchmark::State& state) {
  const int envs = static_cast<int>(state.range(0));
  const int users = static_cast<int>(state.range(1));
  Env env(mecrl::bench::uncertainty_params(users), envs, mecrl::CpuExec{0});
  std::vector<int32_t> actions(static_cast<size_t>(envs) * users, 0);
  for (auto _ : state) {
    state.PauseTiming();
    env.act_baseline("goa", actions.data());
    state.ResumeTiming();
    env.step(actions.data());
  }
  const double steps = static_cast<double>(state.iterations()) * envs;
  state.counters["user_decisions"] = benchmark::Counter(steps * users, benchmark::Counter::kIsRate);
  state.SetItemsProcessed(static_cast<int64_t>(steps));
}

BENCHMARK(BM_UncertaintyStepCpu)
    ->ArgNames({"envs", "N"})
    ->ArgsProduct({{64, 4096}, {50, 120}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
