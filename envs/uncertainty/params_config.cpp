// Every `env.*` key of the uncertainty scenario with its range and doc line
// (defaults: params.h, the authors' values; configs/uncertainty.yaml).
#include "envs/uncertainty/params_config.h"

#include <fmt/format.h>

#include "core/error.h"

namespace mecrl::uncertainty {
namespace {

std::string origin(const ConfigReader& r, const std::string& key) {
  const ConfigValue* cv = r.config().find(key);
  return cv ? cv->origin : "default";
}

// lo_key's value must not exceed hi_key's (a U(lo, hi) draw).
void check_order(const ConfigReader& r, const std::string& lo_key, float lo, const std::string& hi_key, float hi) {
  if (lo > hi) {
    throw UsageError(fmt::format("{}: {} = {:g} exceeds {} = {:g} (they bound a uniform draw)", origin(r, lo_key),
                                 lo_key, lo, hi_key, hi));
  }
}

}  // namespace

UncertaintyParams read_uncertainty_params(ConfigReader& r) {
  UncertaintyParams p;
  r.get("seed", p.seed, "run seed (Philox key): same seed, same snapshots");
  r.get("env.num_users", p.num_users, 1, kMaxUsers, "users N in the area");
  r.get("env.num_servers", p.num_servers, 1, kMaxServers, "edge servers M, at the centres of a square grid");
  r.get_positive("env.area_m", p.area_m, 1e5, "side of the square area, m");
  r.get_positive("env.min_distance_m", p.min_distance_m, 1e4, "user-server distance clipped below (free space), m");
  r.get("env.tau", p.tau, 0, 1, "accuracy rule: users with alpha > tau must offload (1 disables the mask)");
  // Default 0.52: the expected accuracy of the tau = 0.7 rule alone
  // (offload exactly the users with alpha > 0.7): E[p_SLM] = 0.72 - 0.4 * 2/3
  // = 0.453, plus E[(0.283 - 0.383 p_SLM) 1{alpha > 0.7}] = 0.071.
  r.get("env.accuracy_target", p.accuracy_target, 0, 1,
        "A_target of the accuracy cost (A_target - fraction correct per snapshot)");
  // A user in a deep fade offloading to a far server can see a rate of
  // micro-bit/s and a delay of 1e8 s: true, and kept in the reported delay,
  // but one such draw would swamp a reward normaliser for thousands of
  // updates. 1 s is ~30x the delay of any sensible decision.
  r.get_positive("env.reward_delay_cap_s", p.reward_delay_cap_s, 1e6,
                 "reward (not metrics) clips each user's delay at this, s");
  r.get("env.join_view", p.join_view,
        "two steps per snapshot: a proposal pass, then the decision that sees the load the proposals imply");
  r.get_positive("env.radio.carrier_hz", p.carrier_hz, 1e12, "carrier frequency f, Hz");
  r.get_positive("env.radio.bandwidth_hz", p.bandwidth_hz, 1e11, "bandwidth B per server, split equally, Hz");
  r.get_positive("env.radio.tx_power_w", p.tx_power_w, 100, "user transmit power P, W");
  r.get_positive("env.radio.noise_w_per_hz", p.noise_w_per_hz, 1e-10, "noise density; sigma^2 = density * B, W/Hz");
  r.get_positive("env.compute.ref_flops", p.ref_flops, 1e18, "C_ref: device the SLM times refer to, FLOP/s");
  r.get_positive("env.compute.local_scale_min", p.local_scale_min, 100, "C_L,i = C_ref U(min, max): min");
  r.get_positive("env.compute.local_scale_max", p.local_scale_max, 100, "C_L,i = C_ref U(min, max): max");
  r.get_positive("env.compute.server_flops", p.server_flops, 1e20, "nominal server capability C_ES, FLOP/s");
  r.get_positive("env.compute.server_scale_min", p.server_scale_min, 100, "C_ES,j = C_ES U(min, max): min");
  r.get_positive("env.compute.server_scale_max", p.server_scale_max, 100, "C_ES,j = C_ES U(min, max): max");
  r.get_positive("env.compute.server_cap_flops", p.server_cap_flops, 1e20, "per-user cap C_max of a server share, FLOP/s");
  r.get_positive("env.workload.alpha_beta_a", p.alpha_beta_a, 100, "uncertainty alpha ~ Beta(a, 1)");
  r.get("env.workload.slm_acc_intercept", p.slm_acc_intercept, -2, 2, "P(SLM correct) = clip(a - b alpha, 0, 1): a");
  r.get("env.workload.slm_acc_slope", p.slm_acc_slope, -2, 2, "P(SLM correct) = clip(a - b alpha, 0, 1): b");
  r.get("env.workload.llm_acc_slm_correct", p.llm_acc_slm_correct, 0, 1, "P(LLM correct | SLM correct)");
  r.get("env.workload.llm_acc_slm_wrong", p.llm_acc_slm_wrong, 0, 1, "P(LLM correct | SLM wrong)");
  r.get_positive("env.workload.slm_median_s", p.slm_median_s, 100, "t_SLM on the reference device: median, s");
  r.get("env.workload.slm_sigma", p.slm_sigma, 0, 5, "t_SLM: lognormal sigma");
  r.get_positive("env.workload.llm_ratio", p.llm_ratio, 1e4, "t_LLM = ratio t_SLM X (reference-device time)");
  r.get("env.workload.llm_sigma", p.llm_sigma, 0, 5, "X: lognormal sigma, median 1");
  r.get_positive("env.workload.payload_median_bits", p.payload_median_bits, 1e12, "payload D_i: median, bit");
  r.get("env.workload.payload_sigma", p.payload_sigma, 0, 5, "payload D_i: lognormal sigma");
  r.get_positive("env.decision_llm_ratio", p.decision_llm_ratio, 1e4,
                 "baselines decide with server compute ratio t_SLM (authors' code: 8)");
  check_order(r, "env.compute.local_scale_min", p.local_scale_min, "env.compute.local_scale_max", p.local_scale_max);
  check_order(r, "env.compute.server_scale_min", p.server_scale_min, "env.compute.server_scale_max",
              p.server_scale_max);
  derive_params(p);
  return p;
}

}  // namespace mecrl::uncertainty
