// Throughput of the offload simulator on the CUDA backend, env only, with
// fixed actions (every decider offloads to server 1). Skips without a GPU.
// Counters (items/s): env_steps (cell-slots), user_slots (N per cell-slot),
// decisions. Sizes: num_envs {1k, 16k, 64k, 256k} x N {10, 50, 200}.
#include <benchmark/benchmark.h>

#include "bench_params.h"

#include <vector>

#include "core/config.h"
#include "cuda/backend.h"
#include "envs/offload/params_config.h"

namespace {


void BM_OffloadStepCuda(benchmark::State& state) {
  if (mecrl::cuda::device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const int envs = static_cast<int>(state.range(0)), users = static_cast<int>(state.range(1));
  auto env = mecrl::cuda::make_offload_env(mecrl::bench::offload_params(users), envs);
  const size_t n = static_cast<size_t>(envs) * users;
  std::vector<int32_t> host(n, 1);
  auto* actions = static_cast<int32_t*>(mecrl::cuda::device_alloc(n * sizeof(int32_t)));
  mecrl::cuda::copy_to_device(actions, host.data(), n * sizeof(int32_t));
  for (int t = 0; t < 200; ++t) env->step(actions);  // past the empty-cell transient
  // Decisions per step, from a short measured stretch (counting them in the
  // timed loop would add a copy per step).
  std::vector<int32_t> dec(envs);
  long long decisions = 0;
  for (int t = 0; t < 20; ++t) {
    env->step(actions);
    mecrl::cuda::copy_to_host(dec.data(), env->buffers().decisions, envs * sizeof(int32_t));
    for (int d : dec) decisions += d;
  }
  const double decisions_per_step = decisions / 20.0;
  mecrl::cuda::synchronize();
  for (auto _ : state) {
    env->step(actions);
    mecrl::cuda::synchronize();
  }
  const double steps = static_cast<double>(state.iterations()) * envs;
  state.counters["env_steps"] = benchmark::Counter(steps, benchmark::Counter::kIsRate);
  state.counters["user_slots"] = benchmark::Counter(steps * users, benchmark::Counter::kIsRate);
  state.counters["decisions"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * decisions_per_step, benchmark::Counter::kIsRate);
  state.SetItemsProcessed(static_cast<int64_t>(steps) * users);
  mecrl::cuda::device_free(actions);
}

BENCHMARK(BM_OffloadStepCuda)
    ->ArgNames({"envs", "N"})
    ->ArgsProduct({{1 << 10, 1 << 14, 1 << 16, 1 << 18}, {10, 50, 200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
