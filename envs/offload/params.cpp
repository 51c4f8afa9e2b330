#include <cmath>

#include "envs/offload/physics.h"

namespace mecrl::offload {

namespace {

// E[sigmoid(mu + Z)], Z ~ N(0, 1), by the trapezoid rule on [-12, 12]
// (the integrand is smooth and the tails are below 1e-30).
double mean_sigmoid_of_normal(double mu) {
  const int n = 24000;
  const double a = -12.0, h = 24.0 / n;
  double sum = 0.0;
  for (int k = 0; k <= n; ++k) {
    const double z = a + k * h;
    const double w = (k == 0 || k == n) ? 0.5 : 1.0;
    sum += w * std::exp(-0.5 * z * z) / (1.0 + std::exp(-(mu + z)));
  }
  return sum * h / std::sqrt(2.0 * M_PI);
}

}  // namespace

void derive_params(OffloadParams& p) {
  auto& d = p.d;
  for (int j = 0; j < kMaxServers; ++j) {
    d.max_batch[j] = j < p.num_servers ? max_batch(p.server_model[j], p.server_gpu[j], p.kv_headroom_bytes,
                                                   p.kv_reserve_tokens, p.max_batch_cap)
                                       : 0;
  }
  // Servers at the centres of a ceil(sqrt M) x ceil(sqrt M) grid, row-major (§10.3).
  const int g = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(p.num_servers)) - 1e-9));
  const float cell = p.area_m / static_cast<float>(g);
  for (int j = 0; j < kMaxServers; ++j) {
    d.server_pos_m[j][0] = (static_cast<float>(j % g) + 0.5f) * cell;
    d.server_pos_m[j][1] = (static_cast<float>(j / g) + 0.5f) * cell;
  }
  d.noise_w_per_hz = static_cast<float>(std::pow(10.0, (p.noise_dbm_per_hz + p.noise_figure_db - 30.0) / 10.0));
  float cdf = 0.f;
  for (int k = 0; k < kMaxDeviceKinds; ++k) {
    if (k < p.num_device_kinds) {
      d.device_token_s[k] = device_token_time_s(p, p.device_model, p.device[k]);
      d.device_prefill_s[k] = device_prefill_time_s(p, p.device_model, p.device[k]);
      cdf += p.device[k].share;
    } else {
      d.device_token_s[k] = d.device_prefill_s[k] = 0.f;
    }
    d.device_share_cdf[k] = cdf;
  }
  for (int c = 0; c < kNumClasses; ++c) {
    d.mean_uncertainty[c] = static_cast<float>(mean_sigmoid_of_normal(p.uncertainty_mu[c]));
  }
  d.median_output_mix = (1.f - p.p_complex) * p.output_median_tokens[0] + p.p_complex * p.output_median_tokens[1];
}

}  // namespace mecrl::offload
