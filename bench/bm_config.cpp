// Config loading (core/config.cpp over libyaml's event parser): one file of
// K keys, loaded and flattened. bytes/s should stay flat as K grows (linear
// loading; the yaml-cpp node loop it replaced was quadratic: 5k keys 8 s,
// 20k keys 191 s). items/s = keys.
//   ./mecrl bench --benchmark_filter=Config
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/config.h"

namespace {

void BM_ConfigLoad(benchmark::State& state) {
  const int keys = static_cast<int>(state.range(0));
  const std::string path = "/tmp/mecrl_bm_config_" + std::to_string(::getpid()) + ".yaml";
  std::string text = "env:\n";
  for (int k = 0; k < keys; ++k) text += "  key_" + std::to_string(k) + ": " + std::to_string(k) + ".5\n";
  std::ofstream(path) << text;
  for (auto _ : state) {
    const mecrl::Config cfg = mecrl::Config::load(path);
    benchmark::DoNotOptimize(cfg.entries().size());
  }
  std::remove(path.c_str());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * keys);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ConfigLoad)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
