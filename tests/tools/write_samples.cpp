// Writes sample outputs for the Python cross-checks in tests/python/: an
// event file and a safetensors file whose contents the Python tests
// recompute on their own, then read back with the real libraries
// (TensorBoard's EventAccumulator, safetensors.numpy).
//
//   mecrl_write_samples <dir>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "core/tfevents.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output-dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  try {
    mecrl::TfEventsWriter events(dir);
    for (int step = 0; step < 10; ++step) {
      // The same double expressions, rounded to float32, in the Python test.
      events.scalar("charts/SPS", step, static_cast<float>(1000.0 + 37.5 * step));
      events.scalar("losses/approx_kl", step, static_cast<float>(0.001 * (step + 1)));
      events.scalar("charts/episodic_return", step * 128, static_cast<float>(-5.0 + 0.1 * step * step));
      events.flush();
    }

    std::vector<float> weight(12);
    for (size_t i = 0; i < weight.size(); ++i) weight[i] = static_cast<float>(0.5 * static_cast<double>(i) - 3.0);
    const std::vector<int64_t> steps = {0, 1, -1, int64_t{1} << 40, -(int64_t{1} << 62)};
    const float bias = 0.25f;
    const double mean[] = {1.5, -2.25};
    mecrl::write_safetensors(dir + "/sample.safetensors",
                             {{"policy/weight", mecrl::make_f32({3, 4}, weight.data())},
                              {"policy/bias", mecrl::make_f32({}, &bias)},
                              {"optimizer/steps", mecrl::make_i64({5}, steps.data())},
                              {"obs_norm/mean", mecrl::make_f64({2}, mean)},
                              {"empty", mecrl::make_f32({0, 4}, nullptr)}},
                             {{"format", "mecrl"}, {"activation", "tanh"}, {"iteration", "42"}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mecrl_write_samples: %s\n", e.what());
    return 1;
  }
  return 0;
}
