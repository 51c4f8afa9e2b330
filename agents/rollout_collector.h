// The rollout: T slots of (actor on the deciding users -> env step ->
// storage), then one critic pass over everything the rollout saw. No host
// read anywhere: shapes are fixed (the deciders are compacted to a capacity,
// agents/compaction.h), so on a GPU the T slots can be one CUDA graph.
#pragma once

#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/env_tensors.h"
#include "agents/policy.h"
#include "agents/rollout.h"
#include "agents/running_stats.h"
#include "envs/vec_env.h"

namespace mecrl::agents {

// Sums over one rollout, kept on the device and read with the metrics.
struct RolloutTally {
  torch::Tensor episodes;      // [] f64: episodes that ended
  torch::Tensor return_sum;    // [] f64: their returns
  torch::Tensor length_sum;    // [] f64: their lengths
  torch::Tensor cost_sums;     // [C] f64: their summed costs
  torch::Tensor info_sums;     // [I] f64: their episode info
  torch::Tensor decisions;     // [] f64: users that decided (as the env counts them)
  torch::Tensor max_deciders;  // [] int64: most deciders in one slot
  torch::Tensor dropped;       // [] int64: deciders beyond the capacity (acted 0, left out of the update)
  torch::Tensor max_truncated; // [] int64: truncated cells in the rollout (critic pass capacity)
  torch::Tensor reward_sum;    // [] f64: reward stream 0 before ppo.norm_reward, over slots x envs x value users
  void zero_();
};

class RolloutCollector {
 public:
  RolloutCollector(VecEnv& env, const AgentConfig& cfg, int64_t value_users, int64_t heads);

  // T slots into `ro` (same device work every call: capturable). `profile`
  // times env and inference per slot (host clock; synchronises a GPU).
  void collect(ActorCritic& policy, ReturnScaler& scaler, Rollout& ro, bool profile = false);
  // The critic, once per (slot, cell), after the rollout: ro.values, and
  // ro.trunc_values = V(final obs) for at most `trunc_capacity` truncated
  // cells (compacted). Returns V of the current observation [E, Uv, K].
  torch::Tensor critic_pass(ActorCritic& policy, Rollout& ro, int64_t trunc_capacity);

  // Data-parallel: this rank's envs are rows [rank * E, (rank + 1) * E) of
  // every rank's together; the action-sampling uniforms are drawn for all of
  // them (same generator state on every rank) and this rank's rows kept, so
  // an env's samples do not depend on how the envs are split into ranks.
  void set_rank(int rank, int world_size) { rank_ = rank, world_ = world_size; }
  RolloutTally& tally() { return tally_; }
  torch::Tensor& episode_step() { return ep_step_; }  // [E] int64, checkpointed
  const EnvTensors& env_tensors() const { return et_; }
  double env_seconds() const { return t_env_; }
  double inference_seconds() const { return t_infer_; }

 private:
  int rank_ = 0, world_ = 1;
  torch::Tensor reward_streams() const;  // [E, Uv, K] raw reward and cost streams of this step

  VecEnv& env_;
  AgentConfig cfg_;
  EnvTensors et_;
  EnvDims dims_;
  int64_t Uv_, K_;
  torch::Tensor actions_ext_;  // [E * U + 1] int64: this slot's actions; the last entry absorbs padding
  torch::Tensor actions_i32_;  // [E, U] int32: what env.step reads
  torch::Tensor classes_;      // [A] int64: 0..A-1
  torch::Tensor ep_step_;      // [E] int64: steps since each env's episode began
  RolloutTally tally_;
  double t_env_ = 0, t_infer_ = 0;
};

}  // namespace mecrl::agents
