// Hyperparameters of the learners, with CleanRL's PPO defaults
// (configs/ppo.yaml repeats them for reading). Every field is a config key;
// ranges and doc lines are in agent_config.cpp.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace mecrl::agents {

struct PpoConfig {
  float lr = 2.5e-4f;          // Adam step size
  bool anneal_lr = true;       // linear decay to 0 over the run
  float adam_eps = 1e-5f;
  float gamma = 0.99f;
  float gae_lambda = 0.95f;
  float gae_lambda_idle = 0.95f;  // user critic: lambda at slots where the user does not decide
  int num_minibatches = 4;
  int update_epochs = 4;
  bool norm_adv = true;        // per-minibatch advantage normalisation
  float clip_coef = 0.2f;
  bool clip_vloss = true;
  float ent_coef = 0.01f;
  float vf_coef = 0.5f;
  float value_sample = 1.f;    // fraction of (step, cell) rows in each value-loss minibatch
  float max_grad_norm = 0.5f;
  float target_kl = 0.f;       // 0 = no early stop
  int hidden = 64;             // MLP width
  std::string critic = "user"; // user: V per user; cell: pooled over the cell's users
  std::string reward = "team"; // team | own | mix
  float reward_mix = 0.5f;     // mix: (1 - beta) own + beta team
  bool norm_obs = false;       // running mean/std (Welford), clipped to +/-10
  bool norm_reward = false;    // divide by running std of the discounted return
};

struct LagrangianConfig {
  std::string mode = "none";        // none | lagrangian | penalty
  std::vector<float> lr;            // dual step on the relative violation, one per cost (default 0.05)
  int warmup_steps = 0;             // steps of each episode left out of J_c (judge the steady state)
  std::vector<float> lambda_init;   // one per cost (default 0)
  std::vector<float> limits;        // d_c, one per cost (default 0)
  std::vector<float> margin;        // aim this far inside each constraint, relative to mean|cost| (default 0)
  // PID Lagrangian (Stooke, Achiam, Abbeel 2020): lr is the integral gain K_I;
  // kp and kd add a proportional term on the smoothed violation and a
  // derivative term on the rise of the smoothed cost (0, 0: dual ascent).
  std::vector<float> kp, kd;        // one per cost (default 0)
  float pid_smoothing = 0.9f;       // EMA factor of the P and D terms' inputs (0: none)
};

struct WorldModelConfig {
  bool enabled = false;
  int hidden = 256;            // GRU state h_t
  int window = 16;             // truncated BPTT length L
  int replay_rollouts = 4;     // FIFO of recent rollouts (the fresh one included)
  int batch_windows = 256;     // sequences per model update
  int updates = 4;             // model updates per iteration
  float lr = 1e-3f;
  int horizon = 3;             // H: MVE and imagination depth
  float mve_beta = 0.5f;       // critic target (1 - beta w) V_gae + beta w V_mve (w: the model's weight, below)
  int mve_cells = 0;           // cells whose critic targets are expanded per iteration (0: every cell, as MVE does)
  int imagine_cells = 16;      // K of those cells also give imagined samples for the PPO loss
  std::string weighting = "gate";  // gate: w = 1 if the validation error < gate_threshold, else 0;
                                   // error: w = max(0, 1 - error / gate_threshold)
  float imagine_weight = 0.5f; // w_im of imagined samples in the PPO loss
  float gate_threshold = 0.5f; // validation error (normalised MSE) at which the model's weight is 0
  int warmup_iterations = 2;   // plain PPO until the model has seen this many rollouts
  bool raw_targets = true;     // learn the raw reward/cost streams, scale them when imagining
};

struct TrainConfig {
  long long total_steps = 500000;  // env steps (cell-slots)
  int num_envs = 4;
  int rollout_steps = 128;         // T per iteration
  std::string device = "auto";     // auto | cpu | cuda
  int threads = 0;                 // CPU threads for torch and env (0 = all cores)
  int checkpoint_every = 10;       // iterations
  std::string runs_dir = "runs";
  std::string name;                // run name prefix (default: <scenario>__<agent>)
  std::string resume;              // run directory to continue
  float time_limit_s = 0;          // stop (with a checkpoint) after the iteration that passes it; 0 = none
  long long decision_capacity = 0; // deciders per slot the actor runs on (0 = adapt to the data)
  bool cuda_graph = false;         // capture the rollout as one CUDA graph (GPU, train.profile off)
  bool profile = false;            // time the phases on a GPU (adds syncs)
  float dist_timeout_s = 60;       // data-parallel: a collective waiting longer than this fails (a rank died)
  // Exploration floor: the actor acts with (1 - eps) softmax(logits) + eps
  // uniform over the allowed actions; eps goes linearly from
  // exploration_floor (iteration 0) to exploration_floor_final (the end).
  float exploration_floor = 0.f;        // [0, 1); 0 = plain softmax
  float exploration_floor_final = 0.f;  // [0, 1); default: exploration_floor (constant)
  // Populations to train on at once (envs/population_env.h): train.num_envs
  // split over one group per entry, group g with num_users[g] users per
  // cell. Empty: every env has env.num_users.
  std::vector<int> num_users;
  bool quiet = false;              // no progress line per iteration (benchmarks; not a config key)
};

struct AgentConfig {
  PpoConfig ppo;
  LagrangianConfig lag;
  WorldModelConfig wm;
  TrainConfig train;
  uint64_t seed = 1;
};

// Reads agent.*, ppo.*, lagrangian.*, wm.*, train.* (num_costs sizes the lists).
AgentConfig read_agent_config(ConfigReader& r, int num_costs);

// The exploration floor of iteration `iteration` of `num_iterations`: linear
// from train.exploration_floor to train.exploration_floor_final, then held.
double exploration_floor_at(const TrainConfig& t, long long iteration, long long num_iterations);

// The learner's short name, as in run directories: ppo, ppo_lag, ppo_pen,
// wm_ppo, wm_ppo_lag, wm_ppo_pen.
std::string learner_name(const AgentConfig& c);

}  // namespace mecrl::agents
