// UncertaintyParams: every number of spec goa-env.md (seed 001, Kim et al.,
// "Accuracy-Delay Trade-Off in LLM Offloading via Token-Level Uncertainty"),
// as one POD passed by value to kernels. Defaults are the authors' values
// (spec §1-§3); config keys, ranges and doc lines are in params_config.cpp.
// SI units inside (s, bit, W, Hz, m, FLOP/s); names carry the unit.
#pragma once

#include "core/hd.h"

namespace mecrl::uncertainty {

inline constexpr int kMaxServers = 16;
inline constexpr int kMaxUsers = 1024;
inline constexpr int kNumCosts = 1;  // accuracy
enum Cost : int { kCostAccuracy = 0 };

// Speed of light (exact, m/s): the free-space amplitude gain is c / (4 pi f d).
inline constexpr float kSpeedOfLight = 299792458.f;

struct UncertaintyParams {
  uint64_t seed = 1;  // run seed: the Philox key (core/random.h)
  uint32_t first_env = 0;  // global index of env 0 (data-parallel: rank * num_envs); keys the Philox streams

  // --- snapshot geometry (spec §1)
  int num_users = 100;         // N (study: 50-120)
  int num_servers = 4;         // M; servers at the centres of a ceil(sqrt M)^2 grid
  float area_m = 500.f;        // side of the square area
  float min_distance_m = 10.f; // user-server distance clipped below (spec §3)

  // --- radio (spec §1)
  float carrier_hz = 3.5e9f;        // f
  float bandwidth_hz = 100e6f;      // B per server, split equally among its users
  float tx_power_w = 0.2f;          // P
  float noise_w_per_hz = 4e-21f;    // sigma^2 = noise_w_per_hz * B (full server band)

  // --- compute (spec §1)
  float ref_flops = 91.06e12f;        // C_ref: the device the SLM times were measured on
  float local_scale_min = 0.5f;       // C_L,i = C_ref * U(min, max)
  float local_scale_max = 1.5f;
  float server_flops = 10.f * 1513e12f;  // nominal C_ES
  float server_scale_min = 0.6f;         // C_ES,j = server_flops * U(min, max)
  float server_scale_max = 1.4f;
  float server_cap_flops = 1513e12f;     // C_max: per-user cap of the server share

  // --- query workload (spec §3, calibrated)
  float alpha_beta_a = 2.f;              // alpha ~ Beta(a, 1)
  float slm_acc_intercept = 0.72f;       // P(SLM correct) = clip(intercept - slope alpha, 0, 1)
  float slm_acc_slope = 0.4f;
  float llm_acc_slm_correct = 0.90f;     // P(LLM correct | SLM correct)
  float llm_acc_slm_wrong = 0.283f;      // P(LLM correct | SLM wrong)
  float slm_median_s = 0.0319f;          // t_SLM on the reference device: lognormal median
  float slm_sigma = 0.2f;
  float llm_ratio = 6.17f;               // t_LLM = llm_ratio * t_SLM * X
  float llm_sigma = 0.15f;               // X lognormal, median 1
  float payload_median_bits = 700.f;     // D_i lognormal
  float payload_sigma = 0.4f;

  // --- decision rule (spec §2, §4)
  float tau = 0.7f;                      // alpha > tau must offload (action mask; 1 disables)
  float decision_llm_ratio = 8.f;        // baselines estimate server compute as ratio * t_SLM
  float accuracy_target = 0.52f;         // A_target of the accuracy cost (see params_config.cpp)
  float reward_delay_cap_s = 1.f;        // training reward clips each user's delay here (metrics do not)
  // The join view (issue 16): false = one decision per snapshot (the spec's);
  // true = every snapshot takes two steps, a proposal pass whose decisions
  // only load the servers (observe.h shows each user the load they imply),
  // then the decision that counts.
  bool join_view = false;

  // --- derived by derive_params(); never set by hand
  struct Derived {
    float server_pos_m[kMaxServers][2];  // grid centres (x, y), column by column
    float noise_w;                       // sigma^2 = noise_w_per_hz * bandwidth_hz
  } d{};
};

// Fills UncertaintyParams::d from the primary fields (host only).
void derive_params(UncertaintyParams& p);

}  // namespace mecrl::uncertainty
