// Latency predictors from what a scheduler can observe (spec §10.8, §10.10):
// queue counts, the current channel, the current iteration time and the class
// median of the output length, never the hidden true L_out. Shared by the
// observation (estimated wait), the `greedy` and the `goa` baselines.
#pragma once

#include "envs/offload/physics.h"
#include "envs/offload/state.h"

namespace mecrl::offload {

// Server load as seen at a slot boundary.
struct ServerView {
  int queued[kMaxServers];     // tickets handed out but not in the batch
  int active[kMaxServers];     // in the batch
  int uploading[kMaxServers];  // users sending to this server
};

MECRL_HD ServerView server_view(const OffloadParams& p, const OffloadState& s, int e) {
  ServerView v;
  for (int j = 0; j < p.num_servers; ++j) {
    const size_t k = s.l.server(e, j);
    v.queued[j] = s.next_ticket[k] - s.next_active[k];
    v.active[j] = s.n_active[k];
    v.uploading[j] = s.n_uploading[k];
  }
  return v;
}

MECRL_HD float channel_gain(const OffloadState& s, int e, int i, int j) {
  const size_t k = s.l.pair(e, i, j);
  return s.mean_gain[k] * (s.fade_re[k] * s.fade_re[k] + s.fade_im[k] * s.fade_im[k]);
}

MECRL_HD int best_channel_server(const OffloadParams& p, const OffloadState& s, int e, int i) {
  int best = 0;
  float best_g = channel_gain(s, e, i, 0);
  for (int j = 1; j < p.num_servers; ++j) {
    const float g = channel_gain(s, e, i, j);
    if (g > best_g) {
      best_g = g;
      best = j;
    }
  }
  return best;
}

// Full-batch iteration time at server j, for the wait estimate: B_max
// decoding queries, each with the mean prompt plus half the mean answer.
MECRL_HD float full_batch_iteration_s(const OffloadParams& p, int j) {
  const int b = max_of(p.d.max_batch[j], 1);
  const float ctx = (1.f - p.p_complex) * p.prompt_median_tokens[0] +
                    p.p_complex * p.prompt_median_tokens[1] + 0.5f * p.d.median_output_mix;
  return iteration_time_s(p, p.server_model[j], p.server_gpu[j], ctx * b, static_cast<float>(b), 0.f);
}

// Estimated wait of a newcomer at server j with `ahead` queries before it:
// max(0, ahead - B_max + 1) * t_it(B_max) * (median L_out + 1) / B_max.
MECRL_HD float estimated_wait_s(const OffloadParams& p, int j, int ahead) {
  const int b = max_of(p.d.max_batch[j], 1);
  const int excess = max_of(ahead - b + 1, 0);
  return static_cast<float>(excess) * full_batch_iteration_s(p, j) * (p.d.median_output_mix + 1.f) /
         static_cast<float>(b);
}

// Predicted local time of user i's current query (class-median L_out).
MECRL_HD float predicted_local_s(const OffloadParams& p, const OffloadState& s, int e, int i) {
  const size_t u = s.l.user(e, i);
  const int kind = s.device_kind[u];
  return s.prompt_tokens[u] * p.d.device_prefill_s[kind] +
         p.output_median_tokens[s.qclass[u]] * p.d.device_token_s[kind];
}

// Predicted end-to-end time if user i joined server j now, given the view:
// upload at the rate with one more sharer + wait + service at the current t_it.
MECRL_HD float predicted_offload_s(const OffloadParams& p, const OffloadState& s, const ServerView& v,
                                   int e, int i, int j) {
  const size_t u = s.l.user(e, i);
  const float rate = uplink_rate_bps(p.bandwidth_hz, v.uploading[j] + 1, p.tx_power_w,
                                     channel_gain(s, e, i, j), p.d.noise_w_per_hz);
  const float upload = s.payload_bits[u] / rate;
  const int ahead = v.queued[j] + v.active[j] + v.uploading[j];
  const float wait = estimated_wait_s(p, j, ahead);
  const float iters = static_cast<float>(prefill_iterations(p, s.prompt_tokens[u])) +
                      p.output_median_tokens[s.qclass[u]];
  const float service = iters * s.iter_time_s[s.l.server(e, j)];
  return upload + wait + service + p.downlink_s;
}

}  // namespace mecrl::offload
