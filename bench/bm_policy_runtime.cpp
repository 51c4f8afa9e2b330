// The deployment runtime (deploy/mecrl_policy.h, the C ABI a controller
// calls) on one CPU core: decisions per second at batch 1 (one decision per
// call, the edge-controller case) and batch 1,024 (a server batching
// requests). A bundle with random weights in the shape of the trained
// actors: F features -> 64 -> 64 -> A actions, observation normalisation on.
//   BM_PolicyRuntime/<batch>/<features>/<actions>
//     features 27, actions 2: offload, 1 server (configs/offload.yaml)
//     features 29, actions 5: uncertainty, 4 servers (configs/uncertainty.yaml)
// items/s = decisions/s (rows of obs through act(), probabilities and greedy
// action both written).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <unistd.h>

#include "deploy/mecrl_policy.h"
#include "tests/deploy/synthetic_bundle.h"
#include "core/remove_tree.h"

namespace {

namespace fs = std::filesystem;

void BM_PolicyRuntime(benchmark::State& state) {
  const int64_t batch = state.range(0), features = state.range(1), actions = state.range(2);
  const fs::path dir = fs::temp_directory_path() / ("mecrl_bench_bundle_" + std::to_string(::getpid()));
  try {
    mecrl::deploy::write_bundle(dir.string(), mecrl::testing::synthetic_input(
                                                  mecrl::testing::random_actor(features, 64, actions, true, 1)));
  } catch (const std::exception& e) {  // e.g. built without libonnx-dev
    state.SkipWithError(e.what());
    return;
  }
  std::unique_ptr<mecrl_policy, void (*)(mecrl_policy*)> p(mecrl_policy_load(dir.c_str()), mecrl_policy_free);
  mecrl::remove_tree(dir);
  if (!p) {
    state.SkipWithError(mecrl_policy_last_error());
    return;
  }
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> obs(static_cast<size_t>(batch * features)), probs(static_cast<size_t>(batch * actions));
  std::vector<int32_t> greedy(static_cast<size_t>(batch));
  for (float& v : obs) v = normal(gen);
  for (auto _ : state) {
    if (mecrl_policy_act(p.get(), obs.data(), nullptr, batch, greedy.data(), probs.data()) != 0) {
      state.SkipWithError(mecrl_policy_last_error());
      break;
    }
    benchmark::DoNotOptimize(greedy.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel("decisions/s on one core");
}
BENCHMARK(BM_PolicyRuntime)
    ->ArgNames({"batch", "features", "actions"})
    ->Args({1, 27, 2})
    ->Args({1024, 27, 2})
    ->Args({1, 29, 5})
    ->Args({1024, 29, 5});

}  // namespace
