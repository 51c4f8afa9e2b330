// World-model PPO (spec agents.md §4, seed 000): a GRU over per-user
// sequences that predicts the next observation, the reward and cost streams,
// continuation and who decides next, given the user's observation, its
// action and a summary of the cell's joint action. Each iteration it is
//   1. validated on the fresh rollout before it trains on it (the gate),
//   2. trained on the fresh rollout plus a FIFO replay (truncated BPTT, L),
//   3. weighted by its measured error (wm.weighting: a 0/1 gate, or a weight
//      falling linearly to 0 at wm.gate_threshold), rolled H steps with the
//      current policy from every real cell of the rollout (wm.mve_cells),
//      giving model-based value expansion targets (V_mve, Feinberg et al.
//      2018) for those cells, and from K of them imagined samples that join
//      the PPO batch with weight w_im.
// All on the training device; no host round-trip (the weight is a device-side
// [] tensor that scales the imagined samples and the MVE blend).
#pragma once

#include <deque>

#include <torch/torch.h>

#include "agents/agent_config.h"
#include "agents/lagrangian.h"
#include "agents/policy.h"
#include "agents/rollout.h"
#include "agents/running_stats.h"

namespace mecrl::agents {

struct WorldModelImpl : torch::nn::Module {
  WorldModelImpl(int64_t features, int64_t actions, int64_t heads, int64_t hidden);
  // x: [B, in] -> h: [B, hidden]
  torch::Tensor step(const torch::Tensor& x, const torch::Tensor& h);
  int64_t input_size() const { return features + actions + std::max<int64_t>(actions - 1, 1); }

  int64_t features, actions, heads, hidden;
  torch::nn::GRUCell gru{nullptr};
  torch::nn::Linear delta_head{nullptr}, reward_head{nullptr}, cont_head{nullptr}, active_head{nullptr};
};
TORCH_MODULE(WorldModel);

// Host copies, for IterationStats and the log. Normalised MSEs (1 - R^2) on
// the fresh rollout, before the model trains on it. The gate uses the reward
// head's (val_error = val_reward_error): the observation error is averaged
// per feature and stays near 1 in the offload scenario whatever the model,
// because its deltas are dominated by events no model can time (fading,
// arrivals, completions); it is logged.
struct WorldModelStats {
  // gate_open: 1 if the model was used (weight > 0); model_weight: its weight in [0, 1];
  // imagined_decisions: weighted by it; mve_cells: cells whose critic targets it expanded.
  double loss = NAN, val_error = NAN, val_obs_error = NAN, val_reward_error = NAN, gate_open = 0, model_weight = 0,
         mve_cells = 0, imagined_decisions = 0;
};

// The same on the device ([] tensors), read once with the iteration's metrics.
struct WorldModelDeviceStats {
  torch::Tensor loss, val_obs_error, val_reward_error;
  torch::Tensor gate;  // [] float32 in [0, 1]: the model's weight this iteration (0: not used)
};

// Imagined samples for the PPO loss; they enter it weighted by the gate.
struct ImaginedBatch {
  bool valid = false;  // false before wm.warmup_iterations (known on the host)
  torch::Tensor obs, active, action_mask, actions, logp;  // [N, U, F] ... [N, U]
  torch::Tensor values, returns;                           // [N, Uv, K]
  torch::Tensor advantages;                                // [N, Uv] combined over heads
  int64_t start_cells = 0;                                 // K cells imagined from (N = H K)
  int64_t mve_cells = 0;                                   // cells whose critic targets were expanded
};

class WorldModelLearner {
 public:
  // `reward_scaler`: the rollout's return scaler where ppo.norm_reward is on,
  // else nullptr. With it and wm.raw_targets, the reward head learns the raw
  // streams (ro.raw_rewards, stationary across the replay) and imagination
  // scales its predictions by the scaler as it stands (apply: no update);
  // otherwise the head learns ro.rewards as each rollout stored them.
  WorldModelLearner(const WorldModelConfig& cfg, const PolicySpec& spec, int64_t heads, int64_t value_users,
                    torch::Device device, ReturnScaler reward_scaler = nullptr);

  // Validates on `ro` (not yet seen), adds it to the replay, trains, and
  // sets the model's weight. No host read: it stays on the device.
  WorldModelDeviceStats fit(const Rollout& ro, ActorCritic& policy, long long iteration);
  // From wm.warmup_iterations on: MVE targets blended into `returns`
  // [T, E, Uv, K] by the model's weight, for wm.mve_cells cells (0: every cell
  // from slot L/2 on), and imagined samples from K of them.
  ImaginedBatch imagine(const Rollout& ro, ActorCritic& policy, Lagrange& lag, torch::Tensor& returns,
                        double gamma, double lambda, long long iteration);
  const torch::Tensor& gate() const { return gate_; }  // [] the model's weight in [0, 1]
  // Data-parallel: model gradients averaged across ranks, and the gate
  // decided on the ranks' mean validation error (same model, same gate).
  void set_communicator(Communicator* comm) { comm_ = comm; }
  // Floats of GRU state imagine() holds at once (it goes through the envs in
  // chunks that fit; default 2^27, 512 MB); tests use a small one.
  void set_state_budget(int64_t floats) { state_budget_ = floats; }

  WorldModel& model() { return model_; }
  torch::optim::Adam& optimizer() { return *opt_; }
  // Replay contents, for exact resume. A replay of the other kind of reward
  // streams (raw vs scaled) is refused with a UsageError naming `origin`.
  std::map<std::string, torch::Tensor> replay_tensors() const;
  void load_replay(const std::map<std::string, torch::Tensor>& t, const std::string& origin);
  // What the reward head learns from `ro` [T, E, Uv, K]: ro.raw_rewards when
  // it learns raw streams, else ro.rewards.
  const torch::Tensor& reward_targets(const Rollout& ro) const;
  bool learns_raw_rewards() const { return static_cast<bool>(scaler_) && cfg_.raw_targets; }

 private:
  struct Batch {
    torch::Tensor x, delta, reward, cont, next_active, reset;  // [L, B, ...]
  };
  Batch sample_windows(const Rollout& ro, ActorCritic& policy, int64_t count) const;
  // (total loss, normalised obs MSE per feature (mean), normalised MSE of the reward head)
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> losses(const Batch& b);
  // GRU states before each slot of envs [e0, e0 + n) of `ro`, with L/2 to L - 1
  // slots of history from slot L/2 on: [T, n, U, hidden].
  torch::Tensor history_states(const Rollout& ro, ActorCritic& policy, int64_t e0, int64_t n, int64_t L);
  torch::Tensor inputs(const torch::Tensor& obs_n, const torch::Tensor& actions, const torch::Tensor& active,
                       const torch::Tensor& joint) const;

  WorldModelConfig cfg_;
  PolicySpec spec_;
  int64_t heads_, value_users_;
  torch::Device device_;
  WorldModel model_{nullptr};
  std::unique_ptr<torch::optim::Adam> opt_;
  ReturnScaler scaler_{nullptr};  // ppo.norm_reward's scaler, or none
  std::deque<Rollout> replay_;
  torch::Tensor gate_;  // [] float32 on the device: the model's weight, 0 .. 1
  Communicator* comm_ = nullptr;
  int64_t state_budget_ = int64_t{1} << 27;
};

}  // namespace mecrl::agents
