// OffloadParams: every number of spec offload-env.md, as one POD passed by
// value to kernels. Defaults here are the spec's; the config keys, their
// allowed ranges and doc lines are in params_config.cpp, and the hardware /
// model tables (spec §6) come from configs/tables/*.yaml, never from code.
// SI units inside (s, bit, W, J, Hz, byte); names carry the unit.
#pragma once

#include "core/hd.h"

namespace mecrl::offload {

inline constexpr int kMaxServers = 16;
inline constexpr int kMaxDeviceKinds = 8;
inline constexpr int kMaxUsers = 1024;
inline constexpr int kNumClasses = 2;  // 0 = simple, 1 = complex
inline constexpr int kNumCosts = 3;    // energy, accuracy, hallucination
enum Cost : int { kCostEnergy = 0, kCostAccuracy = 1, kCostHallucination = 2 };

// One row of table 6.1 (an LLM or one of its compact variants).
struct ModelRow {
  float weights_bytes = 0;       // S_w
  float params = 0;              // P (count)
  float kv_bytes_per_token = 0;  // K
  float acc[kNumClasses] = {0, 0};
  float hal = 0;
};

// One row of table 6.2 (a server GPU).
struct GpuRow {
  float hbm_bytes = 0;
  float mem_bw_bytes_per_s = 0;  // BW
  float flops = 0;               // bf16 dense FLOP/s, F
  float board_power_w = 0;
};

// One row of table 6.3 (a phone SoC), with its share of the fleet.
struct DeviceRow {
  float share = 0;
  float mem_bw_bytes_per_s = 0;
  float flops = 0;  // fp16 FLOP/s
  float active_power_w = 0;
  float ram_bytes = 0;  // the phone's RAM: which models fit (catalogue.h); not used by the step
};

struct OffloadParams {
  uint64_t seed = 1;  // run seed: the Philox key (core/random.h)
  uint32_t first_env = 0;  // global index of env 0 (data-parallel: rank * num_envs); keys the Philox streams

  // --- time (spec §1)
  float dt_s = 0.25f;
  int episode_slots = 1200;  // T; the last slot truncates
  // T in the observation's t/T (spec §7), clamped at 1. Its own key, not
  // episode_slots: training (T = 1200) and evaluation (T_eval = 2400, spec
  // §10.1) run episodes of different lengths, and a trained policy must see
  // the same feature in both, whichever config file each one reads.
  int obs_horizon_slots = 2400;

  // --- population and geometry (spec §2)
  int num_users = 100;   // N
  int num_servers = 1;   // M
  float area_m = 500.f;  // square side
  float min_distance_m = 10.f;

  // --- traffic (spec §2, query)
  float think_time_s = 10.f;
  float p_complex = 0.35f;
  float prompt_median_tokens[kNumClasses] = {200.f, 600.f};
  float prompt_sigma = 0.6f;
  int prompt_min_tokens = 16, prompt_max_tokens = 8192;
  float output_median_tokens[kNumClasses] = {48.f, 200.f};
  float output_sigma = 0.7f;
  int output_min_tokens = 1, output_max_tokens = 1024;
  float bits_per_prompt_token = 32.f;
  float p_attachment = 0.2f;
  float attachment_median_bits = 2e6f;
  float attachment_sigma = 0.8f;
  float uncertainty_mu[kNumClasses] = {-1.f, 0.5f};  // z ~ N(mu, 1), u = sigmoid(z)
  float local_uncertainty_slope = 1.5f;                // §5

  // --- radio (spec §3.3, §3.8)
  float bandwidth_hz = 20e6f;  // W_j
  float tx_power_w = 0.2f;
  float noise_dbm_per_hz = -174.f;
  float noise_figure_db = 7.f;
  float pathloss_a_db = 128.1f;  // PL(d) = a + b log10(d_km)
  float pathloss_b_db = 37.6f;
  float shadowing_sigma_db = 8.f;
  float fading_rho = 0.95f;

  // --- server (spec §3.4, §3.5, §6.2)
  ModelRow server_model[kMaxServers];
  GpuRow server_gpu[kMaxServers];
  float eta_bw = 0.8f, eta_flops = 0.5f;
  float iteration_overhead_s = 0.003f;
  int prefill_chunk_tokens = 512;
  float kv_reserve_tokens = 2048.f;
  float kv_headroom_bytes = 2e9f;
  int max_batch_cap = 256;
  float downlink_s = 0.01f;
  float server_power_fraction = 0.7f;

  // --- devices (spec §6.3)
  ModelRow device_model;  // the on-device compact variant
  DeviceRow device[kMaxDeviceKinds];
  int num_device_kinds = 0;
  float device_bw_efficiency = 0.6f;
  float device_flops_efficiency = 0.3f;

  // --- constraints (spec §4)
  float energy_budget_w = 1.f;  // per device, average
  float acc_min = 0.65f;
  float hal_max = 0.22f;
  float quality_window = 100.f;  // completions in the running averages of §7
  // Accuracy/hallucination costs: false = the spec's Bernoulli outcome at
  // completion; true = its expectation (A_min - P(correct), P(hal) - H_max)
  // charged in the slot of the decision. Same expected sum, no delay, no
  // Bernoulli noise: a training signal (see params_config.cpp).
  bool quality_cost_at_decision = false;

  // --- baselines (spec §10.10)
  float goa_tau = 0.7f;  // GOA's mandatory-offload threshold on u

  // --- derived by derive_params(); never set by hand
  struct Derived {
    int max_batch[kMaxServers];          // B_max per server
    float server_pos_m[kMaxServers][2];  // grid centres
    float noise_w_per_hz;                // N0 * noise figure
    float device_token_s[kMaxDeviceKinds];    // t_tok,dev
    float device_prefill_s[kMaxDeviceKinds];  // t_pre,dev (per prompt token)
    float device_share_cdf[kMaxDeviceKinds];
    float mean_uncertainty[kNumClasses];  // E[u | class], for §5
    float median_output_mix;              // p_c-weighted class medians of L_out
  } d{};
};

// Fills OffloadParams::d from the primary fields (host only).
void derive_params(OffloadParams& p);

}  // namespace mecrl::offload
