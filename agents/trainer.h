// The training loop shared by PPO, PPO-Lagrangian and world-model PPO:
// rollout -> GAE -> (world model: fit, gate, MVE targets, imagination) ->
// PPO epochs over shuffled minibatches -> multipliers -> log -> checkpoint.
// Everything lives on the env's device; the only host synchronisations of an
// iteration are gathering the deciding users once and copying the metrics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/env_tensors.h"
#include "agents/lagrangian.h"
#include "agents/policy.h"
#include "agents/rollout.h"
#include "agents/run_logger.h"
#include "agents/world_model.h"
#include "core/config.h"
#include "envs/vec_env.h"

namespace mecrl::agents {

// Per-iteration numbers (host copies), also what tests look at.
struct IterationStats {
  long long iteration = 0, global_step = 0;
  double episodic_return = NAN, episodic_length = NAN, reward_per_step = NAN;
  std::vector<double> cost_per_step, lambda, episode_info;  // per cost / per info column
  double policy_loss = NAN, value_loss = NAN, entropy = NAN, approx_kl = NAN, old_approx_kl = NAN,
         clipfrac = NAN, explained_variance = NAN, decisions = 0;
  double sps = 0, seconds = 0;
  // Where the iteration's time went (seconds): env stepping, policy inference
  // in the rollout, GAE, PPO update, world model. Measured on the CPU always;
  // on a GPU only with train.profile (it synchronises).
  double t_env = 0, t_infer = 0, t_gae = 0, t_update = 0, t_wm = 0;
  WorldModelStats wm;
};

class Trainer {
 public:
  // run_dir empty: no files (tests). resolved: the config, for config.yaml.
  Trainer(VecEnv& env, const AgentConfig& cfg, std::string run_dir, std::vector<ResolvedKey> resolved = {});
  ~Trainer();

  // Continues from run_dir/checkpoints/last (counters, weights, optimiser, env).
  void resume();
  // Runs until train.total_steps (or `iterations` more, if > 0).
  void train(long long iterations = -1);
  IterationStats iterate();  // one iteration
  // One rollout (env + policy inference + sampling) without learning, for benchmarks.
  IterationStats rollout_only();

  ActorCritic& policy() { return policy_; }
  long long iteration() const { return iteration_; }
  long long global_step() const { return global_step_; }
  long long num_iterations() const { return num_iterations_; }
  const std::vector<IterationStats>& history() const { return history_; }
  void save(const std::string& dir);

 private:
  void collect(IterationStats& st);
  double clock();  // seconds; synchronises the device when profiling a GPU run
  torch::Tensor reward_streams();  // [E, Uv, K] raw streams of this step
  void update(const torch::Tensor& advantages, const torch::Tensor& returns, const ImaginedBatch& imagined,
              IterationStats& st);
  void log(const IterationStats& st);

  VecEnv& env_;
  AgentConfig cfg_;
  std::string run_dir_;
  std::vector<ResolvedKey> resolved_;
  EnvTensors et_;
  EnvDims dims_;
  torch::Device device_;
  int64_t Uv_ = 1, K_ = 1;
  ActorCritic policy_{nullptr};
  ReturnScaler scaler_{nullptr};
  Lagrange lagrange_{nullptr};
  std::unique_ptr<torch::optim::Adam> opt_;
  std::unique_ptr<WorldModelLearner> wm_;
  Rollout ro_;
  torch::Tensor last_value_;     // [E, Uv, K]
  torch::Tensor actions_i32_;    // [E, U] int32, what env.step reads
  torch::Tensor ep_step_;        // [E] int64: steps since each env's episode began
  torch::Tensor warm_;           // [T, E] bool: step counts towards J_c (past lagrangian.warmup_steps)
  // episode accumulators over the iteration: [returns, lengths, count, costs..., info...]
  torch::Tensor ep_acc_;
  torch::Tensor decisions_acc_;
  long long iteration_ = 0, global_step_ = 0, num_iterations_ = 0;
  std::vector<IterationStats> history_;
  std::unique_ptr<RunLogger> logger_;
  double elapsed_s_ = 0;
  std::vector<double> last_info_;  // last finished episodes' info (carried between iterations)
  double last_return_ = NAN, last_length_ = NAN;
};

}  // namespace mecrl::agents
