// Throughput of the simulators on the CUDA backend, env only, with fixed
// actions; skip without a GPU. Issue 12's targets are stated on
// BM_OffloadStepCuda (every decider offloads to server 1).
// Counters: items/s = user_slots/s; env_steps (cell-slots), decisions;
// bytes/s and bytes_per_user_slot from the layout's traffic model
// (traffic.h), to read against the HBM roofline.
// Sizes: num_envs {1k, 16k, 64k, 256k} x N {10, 50, 200}.
#include <benchmark/benchmark.h>

#include "bench_params.h"
#include "traffic.h"

#include <memory>
#include <vector>

#include "cuda/backend.h"
#include "envs/cartpole/cartpole.h"
#include "envs/offload/scenario.h"
#include "envs/uncertainty/scenario.h"

namespace {

// Device copy of an action array [E, U] filled with one action.
struct DeviceActions {
  DeviceActions(size_t n, int32_t a) : ptr(static_cast<int32_t*>(mecrl::cuda::device_alloc(n * sizeof(int32_t)))) {
    std::vector<int32_t> host(n, a);
    mecrl::cuda::copy_to_device(ptr, host.data(), n * sizeof(int32_t));
  }
  ~DeviceActions() { mecrl::cuda::device_free(ptr); }
  int32_t* ptr;
};

// Steps env with `actions` in the timed loop, one synchronisation per step.
void time_steps(benchmark::State& state, mecrl::VecEnv& env, const int32_t* actions) {
  mecrl::cuda::synchronize();
  for (auto _ : state) {
    env.step(actions);
    mecrl::cuda::synchronize();
  }
}

bool have_gpu(benchmark::State& state) {
  if (mecrl::cuda::device_count() > 0) return true;
  state.SkipWithError("no CUDA device");
  return false;
}

void BM_OffloadStepCuda(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int envs = static_cast<int>(state.range(0)), users = static_cast<int>(state.range(1));
  const auto params = mecrl::bench::offload_params(users);
  auto env = mecrl::cuda::make_offload_env(params, envs);
  const DeviceActions actions(static_cast<size_t>(envs) * users, 1);
  for (int t = 0; t < 200; ++t) env->step(actions.ptr);  // past the empty-cell transient
  // Decisions per step, from a short measured stretch (counting them in the
  // timed loop would add a copy per step).
  std::vector<int32_t> dec(envs);
  long long decisions = 0;
  for (int t = 0; t < 20; ++t) {
    env->step(actions.ptr);
    mecrl::cuda::copy_to_host(dec.data(), env->buffers().decisions, envs * sizeof(int32_t));
    for (int d : dec) decisions += d;
  }
  time_steps(state, *env, actions.ptr);
  mecrl::bench::report_step_rates(state, envs, users,
                                  mecrl::bench::step_traffic<mecrl::offload::OffloadScenario>(params));
  state.counters["decisions"] = benchmark::Counter(static_cast<double>(state.iterations()) * decisions / 20.0,
                                                   benchmark::Counter::kIsRate);
}

BENCHMARK(BM_OffloadStepCuda)
    ->ArgNames({"envs", "N"})
    ->ArgsProduct({{1 << 10, 1 << 14, 1 << 16, 1 << 18}, {10, 50, 200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One step = one snapshot per env: outcomes of every user (all offload to
// server 1), then the next snapshot's draw and observation.
void BM_UncertaintyStepCuda(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int envs = static_cast<int>(state.range(0)), users = static_cast<int>(state.range(1));
  const auto params = mecrl::bench::uncertainty_params(users);
  auto env = mecrl::cuda::make_uncertainty_env(params, envs);
  const DeviceActions actions(static_cast<size_t>(envs) * users, 1);
  time_steps(state, *env, actions.ptr);
  mecrl::bench::report_step_rates(
      state, envs, users,
      mecrl::bench::step_traffic<mecrl::uncertainty::UncertaintyScenario>(params, {.mask = true, .final_obs = true}));
}

BENCHMARK(BM_UncertaintyStepCuda)
    ->ArgNames({"envs", "N"})
    ->ArgsProduct({{1 << 14, 1 << 16}, {50, 120}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// CartPole: one lane per env (N = 1) through the same team executor.
void BM_CartPoleStepCuda(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int envs = static_cast<int>(state.range(0));
  const mecrl::cartpole::CartPoleParams params{};
  auto env = mecrl::cuda::make_cartpole_env(params, envs);
  const DeviceActions actions(static_cast<size_t>(envs), 1);
  time_steps(state, *env, actions.ptr);
  mecrl::bench::report_step_rates(state, envs, 1, mecrl::bench::step_traffic<mecrl::cartpole::CartPoleScenario>(params));
}

BENCHMARK(BM_CartPoleStepCuda)->ArgName("envs")->Arg(1 << 16)->Arg(1 << 20)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
