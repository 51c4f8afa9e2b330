// The numbers of one training iteration: gathered on the device under their
// TensorBoard tags (DeviceScalars), brought to the host in one read, then
// logged (metrics.csv, TensorBoard, the progress line) and checked.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "agents/distributed.h"
#include "agents/host_reads.h"
#include "agents/run_logger.h"
#include "agents/world_model.h"

namespace mecrl::agents {

// Named scalars on the device; read() stacks them and copies once.
class DeviceScalars {
 public:
  void set(const std::string& name, const torch::Tensor& value);  // a [] or [1] tensor, any dtype
  void set_all(const std::string& prefix, const std::vector<std::string>& names, const torch::Tensor& values);  // [n]
  std::map<std::string, double> read(HostRead why);  // one host read; clears the set
  // The same, reduced over the ranks after the host read: names containing
  // "max" take the maximum, rollout/ tallies the sum, the rest the mean.
  std::map<std::string, double> read(HostRead why, Communicator& comm);
  bool empty() const { return names_.empty(); }

 private:
  std::vector<std::string> names_;
  std::vector<torch::Tensor> values_;
};

// Per-iteration numbers (host copies), also what tests and benches look at.
struct IterationStats {
  long long iteration = 0, global_step = 0;
  double episodic_return = NAN, episodic_length = NAN, reward_per_step = NAN;
  std::vector<double> cost_per_step, lambda, episode_info;  // per cost / per info column (pooled over groups)
  // Per population group (train.num_users): constraints/{lambda,cost}_<cost>/N<n>, tag and value.
  std::vector<std::pair<std::string, double>> group_constraints;
  double policy_loss = NAN, value_loss = NAN, entropy = NAN, approx_kl = NAN, old_approx_kl = NAN,
         clipfrac = NAN, explained_variance = NAN, grad_norm = NAN, decisions = 0;
  double decisions_dropped = 0;  // deciders beyond the rollout's capacity (see agents/compaction.h)
  bool params_finite = true;
  double sps = 0, seconds = 0;
  // Where the iteration's time went (seconds): env stepping, policy inference
  // in the rollout, GAE, PPO update, world model. Measured on the CPU always;
  // on a GPU only with train.profile (it synchronises).
  double t_env = 0, t_infer = 0, t_gae = 0, t_update = 0, t_wm = 0;
  WorldModelStats wm;
  std::map<std::string, double> scalars;  // everything read from the device, by tag
};

// "iteration N: <what> is not finite (...)": the first non-finite quantity
// among the losses, gradient norm, parameters and reward, or "" if none.
std::string first_non_finite(const IterationStats& st);

// The scalars of `st` under CleanRL's tags (charts/, losses/) plus mec/,
// constraints/, time/, wm/, rollout/ and health/.
Scalars tagged_scalars(const IterationStats& st, double learning_rate, int users, const std::vector<std::string>& cost_names,
                       const std::vector<std::string>& info_names, bool world_model);

// One progress line (iteration, steps, SPS, return, costs and multipliers, ETA);
// with population groups, each cost's multipliers per group ("λ per N a/b/c").
std::string progress_line(const IterationStats& st, long long num_iterations, const std::vector<std::string>& cost_names,
                          const std::vector<std::string>& info_names, bool world_model, double eta_s);

}  // namespace mecrl::agents
