#include "agents/iteration_metrics.h"

#include <fmt/format.h>

#include "core/progress.h"

namespace mecrl::agents {

void DeviceScalars::set(const std::string& name, const torch::Tensor& value) {
  names_.push_back(name);
  values_.push_back(value.detach().reshape({1}).to(torch::kFloat64));
}

void DeviceScalars::set_all(const std::string& prefix, const std::vector<std::string>& names,
                            const torch::Tensor& values) {
  const auto v = values.detach().reshape({-1}).to(torch::kFloat64);
  for (size_t k = 0; k < names.size(); ++k) {
    names_.push_back(prefix + names[k]);
    values_.push_back(v.narrow(0, static_cast<int64_t>(k), 1));
  }
}

std::map<std::string, double> DeviceScalars::read(HostRead why) {
  Communicator one_rank;
  return read(why, one_rank);
}

std::map<std::string, double> DeviceScalars::read(HostRead why, Communicator& comm) {
  std::map<std::string, double> out;
  if (names_.empty()) return out;
  auto host = to_host(torch::cat(values_), why);  // [n] f64
  if (comm.active()) {
    auto sums = host.clone(), maxes = host.clone();
    comm.sum(sums);
    comm.max(maxes);
    host = sums / static_cast<double>(comm.world_size());
    for (size_t k = 0; k < names_.size(); ++k) {
      const auto i = static_cast<int64_t>(k);
      if (names_[k].find("max") != std::string::npos) {
        host[i] = maxes[i];
      } else if (names_[k].rfind("rollout/", 0) == 0) {
        host[i] = sums[i];
      }
    }
  }
  const double* h = host.data_ptr<double>();
  for (size_t k = 0; k < names_.size(); ++k) out[names_[k]] = h[k];
  names_.clear();
  values_.clear();
  return out;
}

std::string first_non_finite(const IterationStats& st) {
  const std::pair<const char*, double> checks[] = {{"the reward (mean per step)", st.reward_per_step},
                                                   {"the policy loss", st.policy_loss},
                                                   {"the value loss", st.value_loss},
                                                   {"the gradient norm", st.grad_norm}};
  for (const auto& [what, v] : checks) {
    if (!std::isfinite(v)) return fmt::format("{} is {}", what, v);
  }
  if (!st.params_finite) return "a policy parameter is not finite";
  return "";
}

Scalars tagged_scalars(const IterationStats& st, double lr, int users, const std::vector<std::string>& costs,
                       const std::vector<std::string>& infos, bool wm) {
  Scalars s = {{"global_step", static_cast<double>(st.global_step)},
               {"charts/episodic_return", st.episodic_return},
               {"charts/episodic_length", st.episodic_length},
               {"charts/reward_per_step", st.reward_per_step},
               {"charts/SPS", st.sps},
               {"charts/user_slots_per_s", st.sps * users},
               {"charts/decisions_per_s", st.decisions / st.seconds},
               {"charts/learning_rate", lr},
               {"time/env_s", st.t_env},
               {"time/inference_s", st.t_infer},
               {"time/gae_s", st.t_gae},
               {"time/update_s", st.t_update},
               {"time/world_model_s", st.t_wm},
               {"losses/value_loss", st.value_loss},
               {"losses/policy_loss", st.policy_loss},
               {"losses/entropy", st.entropy},
               {"losses/old_approx_kl", st.old_approx_kl},
               {"losses/approx_kl", st.approx_kl},
               {"losses/clipfrac", st.clipfrac},
               {"losses/explained_variance", st.explained_variance},
               {"losses/grad_norm", st.grad_norm},
               {"rollout/decisions_dropped", st.decisions_dropped}};
  for (size_t k = 0; k < costs.size(); ++k) {
    s.emplace_back("constraints/cost_" + costs[k], st.cost_per_step[k]);
    s.emplace_back("constraints/lambda_" + costs[k], st.lambda[k]);
  }
  for (const auto& tagged : st.group_constraints) s.push_back(tagged);
  for (size_t k = 0; k < infos.size(); ++k) s.emplace_back("mec/" + infos[k], st.episode_info[k]);
  if (wm) {
    s.emplace_back("wm/loss", st.wm.loss);
    s.emplace_back("wm/val_error", st.wm.val_error);
    s.emplace_back("wm/val_obs_error", st.wm.val_obs_error);
    s.emplace_back("wm/val_reward_error", st.wm.val_reward_error);
    s.emplace_back("wm/gate_open", st.wm.gate_open);
    s.emplace_back("wm/model_weight", st.wm.model_weight);
    s.emplace_back("wm/mve_cells", st.wm.mve_cells);
    s.emplace_back("wm/imagined_decisions", st.wm.imagined_decisions);
  }
  return s;
}

std::string progress_line(const IterationStats& st, long long num_iterations, const std::vector<std::string>& costs,
                          const std::vector<std::string>& infos, bool wm, double eta_s) {
  std::string line = fmt::format("iter {:>4}/{} | steps {:>9} | {:>7.0f} sps | return {:>9.3f} | r/step {:>8.4f}",
                                 st.iteration, num_iterations, st.global_step, st.sps, st.episodic_return,
                                 st.reward_per_step);
  if (!infos.empty()) line += fmt::format(" | {} {:.2f}", infos[0], st.episode_info[0]);
  for (size_t k = 0; k < costs.size(); ++k) {
    // Population groups: every group's multiplier, in train.num_users order
    // (the pooled one, their mean over envs, hides a group that violates).
    std::string per_group;
    const std::string prefix = "constraints/lambda_" + costs[k] + "/";
    for (const auto& [tag, value] : st.group_constraints) {
      if (tag.compare(0, prefix.size(), prefix) != 0) continue;
      per_group += fmt::format("{}{:.3f}", per_group.empty() ? "" : "/", value);
    }
    line += per_group.empty() ? fmt::format(" | {} {:+.3g} (λ {:.3f})", costs[k], st.cost_per_step[k], st.lambda[k])
                              : fmt::format(" | {} {:+.3g} (λ per N {})", costs[k], st.cost_per_step[k], per_group);
  }
  if (wm) {
    line += st.wm.gate_open > 0 ? fmt::format(" | wm err {:.3f} w {:.2f}", st.wm.val_error, st.wm.model_weight)
                                : fmt::format(" | wm err {:.3f} off", st.wm.val_error);
  }
  if (st.decisions_dropped > 0) line += fmt::format(" | {:.0f} decisions over capacity", st.decisions_dropped);
  line += fmt::format(" | eta {}", format_duration(eta_s));
  return line;
}

}  // namespace mecrl::agents
