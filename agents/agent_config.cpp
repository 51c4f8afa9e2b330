#include "agents/agent_config.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace mecrl::agents {
namespace {

std::string origin_of(const ConfigReader& r, const std::string& key) {
  const ConfigValue* cv = r.config().find(key);
  return cv ? cv->origin : "default";
}

// One value per cost, given as one for all or as a list of num_costs.
std::vector<float> read_floats(ConfigReader& r, const std::string& key, int n, float fallback, double lo,
                               double hi, const std::string& doc) {
  std::vector<float> values;
  r.get(key, values, lo, hi, doc);
  if (values.empty()) return std::vector<float>(n, fallback);
  if (static_cast<int>(values.size()) != n && values.size() != 1) {
    throw UsageError(fmt::format("{}: {} has {} values, expected 1 or {} (one per cost)", origin_of(r, key), key,
                                 values.size(), n));
  }
  if (values.size() == 1) values.assign(n, values[0]);
  return values;
}

// A probability in [0, 1) (ConfigReader's ranges are closed: the open end is checked here).
void read_fraction(ConfigReader& r, const std::string& key, float& v, const std::string& doc) {
  r.get(key, v, 0, 1, doc);
  if (v >= 1.f) {  // also a value below 1 that single precision rounds up to 1
    const ConfigValue* cv = r.config().find(key);
    throw UsageError(fmt::format("{}: {} = '{}' is outside [0, 1) ({})", origin_of(r, key), key,
                                 cv ? cv->text : fmt::format("{:g}", v), doc));
  }
}

// train.num_users: whole user counts, at least one env per population, and
// only with the learners that handle padded users (a user critic, no world
// model: its imagined cells would let padding rows decide).
void read_populations(ConfigReader& r, AgentConfig& c) {
  std::vector<float> users;
  r.get("train.num_users", users, 1, 1024,
        "train one policy on several populations at once: train.num_envs split into one group of envs per "
        "entry, each with that many users per cell (e.g. [50, 100, 150, 200]); empty: env.num_users everywhere");
  if (users.empty()) return;
  const std::string origin = origin_of(r, "train.num_users");
  for (float u : users) {
    if (u != static_cast<float>(static_cast<int>(u))) {
      throw UsageError(fmt::format("{}: train.num_users has {:g}, not a whole number of users", origin, u));
    }
    c.train.num_users.push_back(static_cast<int>(u));
  }
  if (c.train.num_envs < static_cast<int>(users.size())) {
    throw UsageError(fmt::format("{}: train.num_users lists {} populations but train.num_envs = {} (at least one env "
                                 "each)",
                                 origin, users.size(), c.train.num_envs));
  }
  if (c.ppo.critic != "user") {
    throw UsageError(fmt::format("{}: train.num_users needs ppo.critic = user (a cell critic would pool over the "
                                 "padding rows of the smaller populations)",
                                 origin));
  }
  if (c.wm.enabled) {
    throw UsageError(fmt::format("{}: train.num_users does not work with wm.enabled yet (imagined cells would let "
                                 "the padding rows of the smaller populations decide)",
                                 origin));
  }
}

}  // namespace

AgentConfig read_agent_config(ConfigReader& r, int num_costs) {
  AgentConfig c;
  PpoConfig& p = c.ppo;
  r.get("seed", c.seed, "run seed");
  r.get_positive("ppo.lr", p.lr, 1, "Adam learning rate");
  r.get("ppo.anneal_lr", p.anneal_lr, "linear learning-rate decay to 0");
  r.get_positive("ppo.adam_eps", p.adam_eps, 1, "Adam epsilon");
  r.get("ppo.gamma", p.gamma, 0, 1, "discount per step");
  r.get("ppo.gae_lambda", p.gae_lambda, 0, 1, "GAE lambda");
  p.gae_lambda_idle = p.gae_lambda;
  r.get("ppo.gae_lambda_idle", p.gae_lambda_idle, 0, 1,
        "user critic: lambda at slots where the user does not decide (1 = credit each decision with the "
        "return up to the user's next decision; default gae_lambda)");
  r.get("ppo.num_minibatches", p.num_minibatches, 1, 1 << 16, "minibatches per epoch");
  r.get("ppo.update_epochs", p.update_epochs, 1, 1000, "epochs over each rollout");
  r.get("ppo.norm_adv", p.norm_adv, "normalise advantages per minibatch");
  r.get("ppo.clip_coef", p.clip_coef, 0, 10, "surrogate clipping epsilon");
  r.get("ppo.clip_vloss", p.clip_vloss, "clip the value loss like the policy ratio");
  r.get("ppo.ent_coef", p.ent_coef, 0, 10, "entropy bonus coefficient");
  r.get("ppo.vf_coef", p.vf_coef, 0, 100, "value loss coefficient");
  r.get("ppo.value_sample", p.value_sample, 1e-3, 1, "fraction of (step, cell) rows in each value-loss minibatch "
        "(1 = CleanRL; less saves time when every user of a cell needs a value)");
  r.get_positive("ppo.max_grad_norm", p.max_grad_norm, 1e6, "global gradient-norm clip");
  r.get("ppo.target_kl", p.target_kl, 0, 10, "stop the epochs when approx KL exceeds it (0 = never)");
  r.get("ppo.hidden", p.hidden, 4, 4096, "MLP hidden width");
  r.get("ppo.critic", p.critic, {"user", "cell"}, "value per user, or per cell pooled over users");
  r.get("ppo.reward", p.reward, {"team", "own", "mix"}, "reward each user learns from");
  r.get("ppo.reward_mix", p.reward_mix, 0, 1, "mix: (1 - beta) own + beta team");
  r.get("ppo.norm_obs", p.norm_obs, "running observation normalisation (Welford, clip 10)");
  r.get("ppo.norm_reward", p.norm_reward, "scale rewards and costs by the std of their discounted return");
  if (p.critic == "cell" && p.reward != "team") {
    throw UsageError(fmt::format("{}: ppo.reward = '{}' needs ppo.critic = user (a cell critic has one value per cell)",
                                 origin_of(r, "ppo.reward"), p.reward));
  }

  LagrangianConfig& l = c.lag;
  r.get("lagrangian.mode", l.mode, {"none", "lagrangian", "penalty"},
        "constraints: ignored, Lagrange multipliers (dual ascent), or fixed penalties");
  l.lr = read_floats(r, "lagrangian.lr", num_costs, 0.05f, 0, 100,
                     "dual ascent step on the relative violation, one per cost or one for all");
  r.get("lagrangian.warmup_steps", l.warmup_steps, 0, 1 << 24,
        "steps at the start of every episode left out of the multiplier update (steady-state constraints, "
        "as the evaluation protocol judges them)");
  l.lambda_init = read_floats(r, "lagrangian.lambda_init", num_costs, 0.f, 0, 1e6, "initial multipliers, one per cost");
  l.limits = read_floats(r, "lagrangian.limits", num_costs, 0.f, -1e6, 1e6, "constraint thresholds d_c (E[cost] <= d_c)");
  l.margin = read_floats(r, "lagrangian.margin", num_costs, 0.f, 0, 1,
                         "safety margin: aim this far inside each constraint, as a fraction of the cost's mean "
                         "magnitude (Lagrangian methods hover at the boundary, +/- noise)");
  l.kp = read_floats(r, "lagrangian.kp", num_costs, 0.f, 0, 1000,
                     "PID Lagrangian proportional gain on the smoothed relative violation (0: dual ascent); "
                     "damps the multipliers' oscillation");
  l.kd = read_floats(r, "lagrangian.kd", num_costs, 0.f, 0, 1000,
                     "PID Lagrangian derivative gain on the rise of the smoothed relative cost (0: none)");
  r.get("lagrangian.pid_smoothing", l.pid_smoothing, 0.f, 0.999f,
        "EMA factor of the violation and cost the PID terms see (0: the last iteration's alone)");

  WorldModelConfig& w = c.wm;
  r.get("wm.enabled", w.enabled, "world-model PPO: learned GRU model for MVE targets and imagination");
  r.get("wm.hidden", w.hidden, 8, 4096, "GRU state size");
  r.get("wm.window", w.window, 2, 1024, "truncated BPTT window L");
  r.get("wm.replay_rollouts", w.replay_rollouts, 1, 1000, "rollouts kept in the FIFO replay");
  r.get("wm.batch_windows", w.batch_windows, 1, 1 << 20, "sequences per model update");
  r.get("wm.updates", w.updates, 0, 1000, "model updates per iteration");
  r.get_positive("wm.lr", w.lr, 1, "model learning rate");
  r.get("wm.horizon", w.horizon, 1, 64, "imagination / MVE horizon H");
  r.get("wm.mve_beta", w.mve_beta, 0, 1, "weight of the MVE target in the critic target");
  r.get("wm.mve_cells", w.mve_cells, 0, 1 << 30,
        "cells (slot, env) of each rollout whose critic targets get the H-step model value expansion (0: every "
        "cell with at least L/2 slots of history; else at least wm.imagine_cells)");
  r.get("wm.imagine_cells", w.imagine_cells, 1, 1 << 20,
        "of the expanded cells, how many also give imagined samples for the PPO loss");
  r.get("wm.weighting", w.weighting, {"gate", "error"},
        "how the measured model error weighs the MVE targets and imagined samples: gate = all or nothing at "
        "wm.gate_threshold, error = 1 - error / wm.gate_threshold (clamped to [0, 1])");
  r.get("wm.imagine_weight", w.imagine_weight, 0, 10, "weight of imagined samples in the PPO loss");
  r.get_positive("wm.gate_threshold", w.gate_threshold, 1e6,
                 "normalised validation MSE of the reward head at which the model stops being used");
  r.get("wm.warmup_iterations", w.warmup_iterations, 0, 1 << 20, "iterations of plain PPO before the model is used");
  r.get("wm.raw_targets", w.raw_targets,
        "reward head learns the raw streams and imagination scales them by the current ppo.norm_reward "
        "scaler (false: it learns the scaled streams of each rollout's time)");

  TrainConfig& t = c.train;
  r.get("train.total_steps", t.total_steps, 1, 1ll << 50, "env steps (cell-slots) to train for");
  r.get("train.num_envs", t.num_envs, 1, 1 << 22, "parallel envs");
  r.get("train.rollout_steps", t.rollout_steps, 1, 1 << 16, "steps per env per iteration");
  r.get("train.device", t.device, {"auto", "cpu", "cuda"}, "auto = cuda when a GPU is present");
  r.get("threads", t.threads, 0, 1024, "CPU threads (0 = all cores)");
  r.get("train.checkpoint_every", t.checkpoint_every, 1, 1 << 20, "iterations between checkpoints");
  r.get("train.runs_dir", t.runs_dir, {}, "where run directories are created");
  if (t.runs_dir.empty()) {
    throw UsageError(fmt::format("{}: train.runs_dir is empty (where run directories are created; '.' for the "
                                 "current directory)",
                                 origin_of(r, "train.runs_dir")));
  }
  r.get("train.name", t.name, {}, "run name prefix (default <scenario>__<agent>)");
  // One path component: a '/' or a leading '.' would put the run outside runs_dir or hide it.
  if (!t.name.empty() && (t.name.find('/') != std::string::npos || t.name[0] == '.')) {
    throw UsageError(fmt::format("{}: train.name = '{}' must be a plain name (no '/', not starting with '.')",
                                 origin_of(r, "train.name"), t.name));
  }
  r.get("resume", t.resume, {}, "run directory to continue from its last checkpoint");
  r.get("train.time_limit_s", t.time_limit_s, 0, 1e9,
        "wall-clock budget of this invocation in s: stop after the iteration that passes it, with a checkpoint "
        "(0 = none; continue with resume=)");
  r.get("train.profile", t.profile, "time env/inference/GAE/update/world model on a GPU (synchronises)");
  r.get("train.dist_timeout_s", t.dist_timeout_s, 1, 3600,
        "data-parallel runs: seconds a rendezvous or collective may wait for the other ranks before this rank "
        "stops with an error (a rank that died)");
  r.get("train.decision_capacity", t.decision_capacity, 0, 1ll << 40,
        "deciding users per slot the actor runs on (0 = adapt: all at first, then what the data needs)");
  r.get("train.cuda_graph", t.cuda_graph,
        "capture the rollout (env step, actor, sampling) as one CUDA graph; GPU only, ignored with train.profile");
  read_fraction(r, "train.exploration_floor", t.exploration_floor,
                "exploration floor eps in [0, 1): the actor samples from (1 - eps) softmax(logits) + eps uniform over the "
                "allowed actions (every allowed action keeps probability >= eps / A while the multipliers move); "
                "used in sampling, log-probabilities, entropy and the PPO ratio, and exported with the policy");
  t.exploration_floor_final = t.exploration_floor;
  read_fraction(r, "train.exploration_floor_final", t.exploration_floor_final,
                "exploration floor in [0, 1) at the end of training, reached linearly over the iterations "
                "(default: train.exploration_floor, a constant floor)");
  read_populations(r, c);
  if (w.mve_cells > 0 && w.mve_cells < w.imagine_cells) {
    throw UsageError(fmt::format("{}: wm.mve_cells = {} is below wm.imagine_cells = {} (the imagined cells are "
                                 "expanded cells; 0 expands every cell)",
                                 origin_of(r, "wm.mve_cells"), w.mve_cells, w.imagine_cells));
  }
  if (w.enabled && t.rollout_steps < w.window) {
    throw UsageError(fmt::format("{}: wm.window = {} exceeds train.rollout_steps = {}", origin_of(r, "wm.window"),
                                 w.window, t.rollout_steps));
  }
  return c;
}

double exploration_floor_at(const TrainConfig& t, long long iteration, long long num_iterations) {
  const double frac = num_iterations > 0 ? std::min(1.0, static_cast<double>(iteration) / num_iterations) : 1.0;
  return t.exploration_floor + (static_cast<double>(t.exploration_floor_final) - t.exploration_floor) * frac;
}

std::string learner_name(const AgentConfig& c) {
  std::string n = c.wm.enabled ? "wm_ppo" : "ppo";
  if (c.lag.mode == "lagrangian") n += "_lag";
  if (c.lag.mode == "penalty") n += "_pen";
  return n;
}

}  // namespace mecrl::agents
