// Closed forms of the offload scenario (spec §3, §6). Pure MECRL_HD
// functions: the step, the predictors, the tests and the benchmarks all call
// these, on either backend.
#pragma once

#include "core/hdmath.h"
#include "envs/offload/params.h"

namespace mecrl::offload {

// Large-scale path loss, dB. d_m is clipped below at the spec's minimum.
MECRL_HD float path_loss_db(const OffloadParams& p, float d_m) {
  const float d_km = max_of(d_m, p.min_distance_m) * 1e-3f;
  return p.pathloss_a_db + p.pathloss_b_db * hd::log10_f(d_km);
}

// Shannon rate of one of n equal sharers of bandwidth_hz, bit/s.
// gain is the linear channel power gain G_ij (path loss, shadowing, |g|^2).
MECRL_HD float uplink_rate_bps(float bandwidth_hz, int sharers, float tx_power_w, float gain,
                               float noise_w_per_hz) {
  const float w = bandwidth_hz / static_cast<float>(max_of(sharers, 1));
  const float snr = tx_power_w * gain / (noise_w_per_hz * w);
  return w * hd::log2_1p_f(snr);
}

// KV-limited batch: floor((HBM - S_w - headroom) / (K * reserve)), capped.
MECRL_HD int max_batch(const ModelRow& m, const GpuRow& g, float headroom_bytes, float reserve_tokens,
                       int cap) {
  const float free_bytes = g.hbm_bytes - m.weights_bytes - headroom_bytes;
  if (free_bytes <= 0.f) return 0;
  const float b = hd::floor_f(free_bytes / (m.kv_bytes_per_token * reserve_tokens));
  return min_of(static_cast<int>(b), cap);
}

// One batched iteration (roofline, spec §3.4 and §10.6):
// max((S_w + sum_ctx * K) / (eta_bw BW), 2 P (b_decode + prefill_tokens) / (eta_f F)) + t_ovh.
// sum_ctx_tokens is the summed context of the active queries.
MECRL_HD float iteration_time_s(const OffloadParams& p, const ModelRow& m, const GpuRow& g,
                                float sum_ctx_tokens, float decode_queries, float prefill_tokens) {
  const float mem_s = (m.weights_bytes + sum_ctx_tokens * m.kv_bytes_per_token) /
                      (p.eta_bw * g.mem_bw_bytes_per_s);
  const float flop_s = 2.f * m.params * (decode_queries + prefill_tokens) / (p.eta_flops * g.flops);
  return max_of(mem_s, flop_s) + p.iteration_overhead_s;
}

// Chunked prefill: ceil(L_in / chunk) iterations, each carrying L_in / n tokens.
MECRL_HD int prefill_iterations(const OffloadParams& p, float prompt_tokens) {
  const int chunk = p.prefill_chunk_tokens;
  const int lin = static_cast<int>(prompt_tokens);
  return max_of((lin + chunk - 1) / chunk, 1);
}

// Per-token times of the on-device model (spec §6.3, roofline with efficiencies).
MECRL_HD float device_token_time_s(const OffloadParams& p, const ModelRow& m, const DeviceRow& dev) {
  return m.weights_bytes / (p.device_bw_efficiency * dev.mem_bw_bytes_per_s);
}
MECRL_HD float device_prefill_time_s(const OffloadParams& p, const ModelRow& m, const DeviceRow& dev) {
  return 2.f * m.params / (p.device_flops_efficiency * dev.flops);
}

// Seconds of on-device compute for one query (spec §3 step 2, as step.h
// charges it): L_in t_pre,dev + L_out t_tok,dev.
MECRL_HD float local_query_time_s(const OffloadParams& p, const ModelRow& m, const DeviceRow& dev,
                                  float prompt_tokens, float output_tokens) {
  return prompt_tokens * device_prefill_time_s(p, m, dev) + output_tokens * device_token_time_s(p, m, dev);
}

// Service time of a query alone on a server (batch 1), iteration by
// iteration: ceil(L_in / chunk) prefill chunks over the prompt, then L_out
// decode iterations whose context grows by one token each. The step prices
// the same iterations, with t_it held fixed over each slot (spec §10.6).
MECRL_HD float solo_service_time_s(const OffloadParams& p, const ModelRow& m, const GpuRow& g, float prompt_tokens,
                                   float output_tokens) {
  const int n_pre = prefill_iterations(p, prompt_tokens);
  float t = static_cast<float>(n_pre) *
            iteration_time_s(p, m, g, prompt_tokens, 0.f, prompt_tokens / static_cast<float>(n_pre));
  const int n_out = static_cast<int>(output_tokens);
  for (int k = 0; k < n_out; ++k) t += iteration_time_s(p, m, g, prompt_tokens + static_cast<float>(k), 1.f, 0.f);
  return t;
}

// Server energy charged to one query for `seconds` of batch time shared by b.
MECRL_HD float server_energy_j(const OffloadParams& p, const GpuRow& g, float seconds, int b) {
  return p.server_power_fraction * g.board_power_w * seconds / static_cast<float>(max_of(b, 1));
}

// Probability that the on-device model answers correctly (spec §5):
// sigmoid(logit(acc) - slope (u - mean u of the class)).
MECRL_HD float local_correct_prob(const OffloadParams& p, int cls, float u) {
  return hd::sigmoid_f(hd::logit_f(p.device_model.acc[cls]) -
                       p.local_uncertainty_slope * (u - p.d.mean_uncertainty[cls]));
}

}  // namespace mecrl::offload
