// The training loop shared by PPO, PPO-Lagrangian and world-model PPO, one
// iteration at a time, as CleanRL's ppo.py reads (trainer.cpp, iterate()):
//   rollout (rollout_collector.h) -> critic pass and GAE (gae.h) ->
//   world model: fit, gate, imagination, MVE (world_model.h) ->
//   PPO epochs over decision rows (ppo_update.h) -> normalisers, multipliers ->
//   one host read of the metrics (iteration_metrics.h) -> log -> checkpoint
//   (trainer_checkpoint.cpp).
// Everything lives on the env's device; the default configuration reads the
// device once per iteration (host_reads.h counts it).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/distributed.h"
#include "agents/iteration_metrics.h"
#include "agents/lagrangian.h"
#include "agents/policy.h"
#include "agents/ppo_update.h"
#include "agents/rollout.h"
#include "agents/rollout_collector.h"
#include "agents/run_logger.h"
#include "agents/torch_cuda.h"
#include "agents/world_model.h"
#include "core/config.h"
#include "core/safetensors.h"
#include "envs/vec_env.h"

namespace mecrl::agents {

struct CheckpointData;

class Trainer {
 public:
  // run_dir empty: no files (tests). resolved: the config, for config.yaml.
  // comm: data-parallel training with the other ranks (null: one process);
  // `env` is then this rank's envs, and rank 0 alone writes run_dir.
  Trainer(VecEnv& env, const AgentConfig& cfg, std::string run_dir, std::vector<ResolvedKey> resolved = {},
          std::shared_ptr<Communicator> comm = nullptr);
  ~Trainer();

  // Continues from run_dir/checkpoints/last (counters, weights, optimiser, env).
  void resume();
  // Runs until train.total_steps (or `iterations` more, if > 0), or until
  // train.time_limit_s has passed or a SIGINT/SIGTERM came inside a
  // StopSignalScope (core/stop_signal.h); those two stop after the current
  // iteration with a checkpoint. Returns that signal, else 0.
  int train(long long iterations = -1);
  IterationStats iterate();  // one iteration
  // One rollout (env + policy inference + sampling) without learning, for benchmarks.
  IterationStats rollout_only();

  ActorCritic& policy() { return policy_; }
  const Lagrange& lagrange() const { return lagrange_; }
  long long iteration() const { return iteration_; }
  long long global_step() const { return global_step_; }
  long long num_iterations() const { return num_iterations_; }
  int64_t decision_capacity() const { return ro_.decision_capacity(); }
  const std::vector<IterationStats>& history() const { return history_; }
  // Collective with several ranks: every rank's env state goes to rank 0, which writes.
  void save(const std::string& dir);
  const Communicator& communicator() const { return *comm_; }

 private:
  void rollout();                                        // collector, eager or as a CUDA graph
  torch::Tensor lambda_next() const;                     // per-step GAE lambda (decisions-only GAE), or undefined
  DecisionBatch decision_rows(const torch::Tensor& advantages) const;
  torch::Tensor group_constraint_costs(torch::Tensor& pooled);  // [G, C] J_c per population group; updates lambda
  std::vector<std::string> group_tags() const;                   // [G] "N150", the groups' metric suffixes
  IterationStats read_metrics(const UpdateStats& us, const torch::Tensor& mean_cost, const torch::Tensor& group_cost,
                              const torch::Tensor& returns, const WorldModelDeviceStats* wst, const ImaginedBatch* im);
  void adapt_capacities(const IterationStats& st);
  void log(const IterationStats& st);
  double clock();  // seconds; synchronises the device when profiling a GPU run
  std::map<std::string, TensorBlob> rank_state() const;  // what only this rank has (its envs)
  void load_rank_state(const std::map<std::string, TensorBlob>& s);
  void check_lagrange_groups(const CheckpointData& data, const std::string& dir) const;  // UsageError on a mismatch

  VecEnv& env_;
  AgentConfig cfg_;
  std::string run_dir_;
  std::vector<ResolvedKey> resolved_;
  std::shared_ptr<Communicator> comm_;  // never null (world size 1 without ranks)
  EnvDims dims_;
  torch::Device device_;
  int64_t Uv_ = 1, K_ = 1;
  torch::Tensor present_;  // [E, U] float32: 1 = a real user, 0 = padding (train.num_users), or undefined
  torch::Tensor present_rows_;  // [real users] int64: their indices e * U + u, or undefined
  ActorCritic policy_{nullptr};
  ReturnScaler scaler_{nullptr};
  Lagrange lagrange_{nullptr};
  std::unique_ptr<torch::optim::Adam> opt_;
  std::unique_ptr<WorldModelLearner> wm_;
  std::unique_ptr<RolloutCollector> collector_;
  Rollout ro_;
  int64_t trunc_capacity_ = 0;  // truncated cells per rollout the critic pass evaluates
  DeviceGraph graph_;           // the rollout, when train.cuda_graph is on
  bool graph_warm_ = false;     // one eager rollout ran with the current shapes
  DeviceScalars metrics_;
  long long iteration_ = 0, global_step_ = 0, num_iterations_ = 0;
  std::vector<IterationStats> history_;
  std::unique_ptr<RunLogger> logger_;
  double elapsed_s_ = 0;
  std::vector<double> last_info_;  // last finished episodes' info (carried between iterations)
  double last_return_ = NAN, last_length_ = NAN;
};

}  // namespace mecrl::agents
