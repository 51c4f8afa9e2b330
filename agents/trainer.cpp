#include "agents/trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "agents/compaction.h"
#include "agents/gae.h"
#include "core/error.h"
#include "core/stop_signal.h"
#include "envs/population_env.h"

namespace fs = std::filesystem;

namespace mecrl::agents {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Per-head advantage scaling before the Lagrangian combination, so that the
// multipliers weigh streams of comparable size. adv [T, E, Uv, K]; present
// [E, Uv] (padding rows of train.num_users left out of the std) or undefined.
torch::Tensor scale_heads(const torch::Tensor& adv, const torch::Tensor& present) {
  std::vector<int64_t> dims(adv.dim() - 1);
  for (int64_t d = 0; d + 1 < adv.dim(); ++d) dims[d] = d;
  if (!present.defined()) return adv / (adv.std(dims, true, true) + 1e-8);
  const auto w = present.unsqueeze(0).unsqueeze(-1).expand_as(adv);  // [T, E, Uv, K]
  const auto n = w.sum(dims);
  const auto mean = (adv * w).sum(dims) / n;
  const auto var = ((adv - mean).pow(2) * w).sum(dims) / (n - 1).clamp_min(1);
  return adv / (var.sqrt() + 1e-8);
}

}  // namespace

Trainer::Trainer(VecEnv& env, const AgentConfig& cfg, std::string run_dir, std::vector<ResolvedKey> resolved,
                 std::shared_ptr<Communicator> comm)
    : env_(env),
      cfg_(cfg),
      run_dir_(std::move(run_dir)),
      resolved_(std::move(resolved)),
      comm_(comm ? std::move(comm) : std::make_shared<Communicator>()),
      dims_(env.dims()),
      device_(torch_device(env.device())) {
  const PpoConfig& p = cfg_.ppo;
  torch::manual_seed(cfg_.seed);  // initial weights depend on the seed only
  // One multiplier row per population group (train.num_users), in the env
  // order envs/population_env.h lays them out.
  lagrange_ = Lagrange(cfg_.lag, dims_.costs,
                       cfg_.train.num_users.empty()
                           ? std::vector<int>{}
                           : population_group_sizes(static_cast<int>(cfg_.train.num_users.size()), dims_.num_envs));
  K_ = lagrange_->active() ? 1 + dims_.costs : 1;
  PolicySpec spec{dims_.features, dims_.actions, dims_.users, K_, p.hidden, p.critic, p.norm_obs,
                  static_cast<double>(cfg_.train.exploration_floor)};
  policy_ = ActorCritic(spec);
  Uv_ = policy_->value_users();
  policy_->to(device_);
  lagrange_->to(device_);
  scaler_ = ReturnScaler(dims_.num_envs * Uv_, K_, p.gamma);
  scaler_->to(device_);
  opt_ = std::make_unique<torch::optim::Adam>(policy_->parameters(), torch::optim::AdamOptions(p.lr).eps(p.adam_eps));
  if (cfg_.wm.enabled) {
    wm_ = std::make_unique<WorldModelLearner>(cfg_.wm, spec, K_, Uv_, device_,
                                              p.norm_reward ? scaler_ : ReturnScaler(nullptr));
  }
  collector_ = std::make_unique<RolloutCollector>(env_, cfg_, Uv_, K_);
  if (!cfg_.train.num_users.empty()) {  // the layout envs/population_env.h presents
    const auto present = population_present(cfg_.train.num_users, dims_.num_envs);
    if (static_cast<int64_t>(present.size()) != static_cast<int64_t>(dims_.num_envs) * dims_.users || Uv_ != dims_.users) {
      throw std::logic_error("train.num_users: the env is not the population batch the trainer expects");
    }
    present_ = torch::tensor(std::vector<float>(present.begin(), present.end()))
                   .reshape({dims_.num_envs, dims_.users})
                   .to(device_);
    std::vector<int64_t> rows;
    for (size_t k = 0; k < present.size(); ++k) {
      if (present[k]) rows.push_back(static_cast<int64_t>(k));
    }
    present_rows_ = torch::tensor(rows, torch::kInt64).to(device_);
  }
  if (comm_->active()) {
    // A CUDA graph cannot contain the return normaliser's all-reduces (each
    // one waited on by the host: Gloo's copies, NCCL's blocking wait).
    if (cfg_.train.cuda_graph) {
      throw UsageError(fmt::format("train.cuda_graph = true with {} ranks: the rollout's return normaliser is "
                                   "reduced across ranks every slot, a wait on the host that a CUDA graph cannot hold",
                                   comm_->world_size()));
    }
    // Rank 0's initial weights everywhere (they agree already when the seeds do).
    std::vector<torch::Tensor> state;
    for (const auto& t : policy_->parameters()) state.push_back(t);
    for (const auto& t : policy_->buffers()) state.push_back(t);
    if (wm_) {
      for (const auto& t : wm_->model()->parameters()) state.push_back(t);
    }
    comm_->broadcast(state);
    scaler_->comm = comm_.get();
    collector_->set_rank(comm_->rank(), comm_->world_size());
    if (wm_) wm_->set_communicator(comm_.get());
  }
  // Deciders per slot the actor runs on: all users at first (train.decision_capacity
  // = 0), then what the data needs (adapt_capacities).
  const int64_t rows = static_cast<int64_t>(dims_.num_envs) * dims_.users;
  const int64_t cap = cfg_.train.decision_capacity > 0 ? std::min<int64_t>(cfg_.train.decision_capacity, rows) : rows;
  const int64_t T = cfg_.train.rollout_steps;
  ro_ = Rollout::allocate(T, dims_.num_envs, dims_.users, dims_.features, dims_.actions, dims_.costs, Uv_, K_, cap,
                          device_);
  if (wm_ && wm_->learns_raw_rewards()) ro_.keep_raw_rewards();
  trunc_capacity_ = dims_.num_envs;  // one time limit per env per rollout; grows if episodes are shorter
  num_iterations_ = std::max<long long>(1, cfg_.train.total_steps / (T * dims_.num_envs * comm_->world_size()));
  last_info_.assign(dims_.info, NAN);
}

Trainer::~Trainer() = default;

double Trainer::clock() {
  if (!device_.is_cpu()) {
    if (!cfg_.train.profile) return 0.0;
    device_sync(device_, HostRead::Profile);
  }
  return now_s();
}

// The rollout, eagerly or as a CUDA graph: captured after one eager run with
// the current shapes (which also creates cuBLAS handles and workspaces),
// replayed after that; shapes change only with the decision capacity.
void Trainer::rollout() {
  const bool graph = cfg_.train.cuda_graph && !device_.is_cpu() && !cfg_.train.profile;
  if (!graph || !graph_warm_) {
    // Per-slot env/inference times: free on the CPU, synchronising on a GPU.
    collector_->collect(policy_, scaler_, ro_, cfg_.train.profile || device_.is_cpu());
    graph_warm_ = graph;
    return;
  }
  if (!graph_.ready()) graph_.capture(device_, [&] { collector_->collect(policy_, scaler_, ro_); });
  env_.set_stream(current_stream(device_));
  graph_.replay();
}

torch::Tensor Trainer::lambda_next() const {
  const PpoConfig& p = cfg_.ppo;
  if (Uv_ == 1 || p.gae_lambda_idle == p.gae_lambda) return {};
  // lambda at the steps where the user decides next, gae_lambda_idle in between.
  const int64_t T = ro_.steps();
  const auto decides_next = torch::cat({ro_.active.narrow(0, 1, T - 1), ro_.next_active.narrow(0, T - 1, 1)}, 0);
  return torch::where(decides_next, torch::full({}, p.gae_lambda, ro_.rewards.options()),
                      torch::full({}, p.gae_lambda_idle, ro_.rewards.options()))
      .unsqueeze(-1);
}

// The actor's rows of the real rollout: each slot's compacted deciders.
DecisionBatch Trainer::decision_rows(const torch::Tensor& advantages) const {
  const int64_t T = ro_.steps(), E = dims_.num_envs, U = dims_.users, F = dims_.features, A = dims_.actions;
  const int64_t R = E * U;
  const auto slot = torch::arange(T, ro_.dec_rows.options()).unsqueeze(1) * R;
  const auto flat = (slot + ro_.dec_rows.clamp_max(R - 1)).reshape({-1});  // [T * D] into [T * R]
  const auto adv = Uv_ == 1 ? advantages.expand({T, E, U}) : advantages;  // [T, E, U]
  return {ro_.obs.reshape({T * R, F}).index_select(0, flat),
          ro_.action_mask.reshape({T * R, A}).index_select(0, flat),
          ro_.dec_actions.reshape({-1}),
          ro_.dec_logp.reshape({-1}),
          adv.reshape({T * R}).index_select(0, flat),
          ro_.dec_valid.reshape({-1}).to(torch::kFloat32)};
}

IterationStats Trainer::rollout_only() {
  IterationStats st;
  const double t0 = now_s();
  collector_->tally().zero_();
  rollout();
  metrics_.set("rollout/decisions", collector_->tally().decisions);
  st.decisions = metrics_.read(HostRead::Metrics).at("rollout/decisions");
  st.seconds = now_s() - t0;
  return st;
}

IterationStats Trainer::iterate() {
  const double t_start = now_s();
  const PpoConfig& p = cfg_.ppo;
  // Reproducible per iteration (resume restarts the stream at the same point).
  torch::manual_seed(cfg_.seed * 1000003ull + static_cast<uint64_t>(iteration_));
  if (p.anneal_lr) {
    const double frac = 1.0 - static_cast<double>(iteration_) / static_cast<double>(num_iterations_);
    for (auto& g : opt_->param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(frac * p.lr);
  }
  // The rollout and the update of one iteration act with the same floor, so
  // the PPO ratio compares two policies of the same mixture.
  policy_->spec.exploration_floor = exploration_floor_at(cfg_.train, iteration_, num_iterations_);
  const double env_s0 = collector_->env_seconds(), infer_s0 = collector_->inference_seconds();

  // ---- 1. rollout: T slots of actor (deciders only) + env step
  collector_->tally().zero_();
  const double t_start_rollout = clock();
  rollout();
  const double t_rollout_end = clock();

  // ---- 2. critic once per (slot, cell), then GAE in one kernel
  const auto last_value = collector_->critic_pass(policy_, ro_, trunc_capacity_);
  const auto gae = compute_gae(ro_.rewards, ro_.values, last_value, ro_.terminated, ro_.truncated, ro_.trunc_values,
                               p.gamma, p.gae_lambda, lambda_next());
  const double t_gae_end = clock();
  auto returns = gae.returns;

  // ---- 3. world model: fit and gate, imagination, MVE targets
  WorldModelDeviceStats wst;
  ImaginedBatch im;
  if (wm_) {
    wst = wm_->fit(ro_, policy_, iteration_);
    im = wm_->imagine(ro_, policy_, lagrange_, returns, p.gamma, p.gae_lambda, iteration_);
  }
  const double t_wm_end = clock();

  // ---- 4. PPO epochs over decision rows (real, and imagined weighted by the gate)
  auto heads = gae.advantages;
  if (lagrange_->active()) heads = scale_heads(heads, present_);
  const auto advantages = lagrange_->combine(heads);  // [T, E, Uv]
  const int64_t T = ro_.steps(), E = dims_.num_envs, U = dims_.users, F = dims_.features;
  const ValueBatch critic{ro_.obs.reshape({T * E, U, F}), ro_.values.reshape({T * E, Uv_, K_}),
                          returns.reshape({T * E, Uv_, K_}),
                          present_.defined() ? present_.unsqueeze(0).expand({T, E, U}).reshape({T * E, U})
                                             : torch::Tensor()};
  WeightedData imagined;
  if (im.valid) {
    const int64_t n = im.obs.size(0);
    const auto adv = (Uv_ == 1 ? im.advantages.expand({n, U}) : im.advantages).reshape({-1});
    imagined.actor = {im.obs.reshape({n * U, F}), im.action_mask.reshape({n * U, -1}), im.actions.reshape({-1}),
                      im.logp.reshape({-1}), adv, im.active.reshape({-1}).to(torch::kFloat32)};
    imagined.critic = {im.obs, im.values, im.returns, {}};
    imagined.weight = wm_->gate() * cfg_.wm.imagine_weight;
  }
  const UpdateStats us = ppo_update(policy_, *opt_, p, decision_rows(advantages), critic,
                                    im.valid && cfg_.wm.imagine_weight > 0 ? &imagined : nullptr, comm_.get());
  const double t_update_end = clock();

  // ---- 5. statistics that move between iterations only: the update must
  // see the inputs the behaviour policy saw, or the ratios start away from 1.
  if (p.norm_obs) {  // over real users only (padding rows are zeros)
    policy_->obs_rms->update(present_rows_.defined() ? ro_.obs.reshape({T, E * U, F}).index_select(1, present_rows_)
                                                     : ro_.obs,
                             comm_.get());
  }
  torch::Tensor mean_cost, group_cost;  // [C] pooled J_c; [G, C] per population group (G > 1 only)
  if (dims_.costs && lagrange_->groups() > 1) {
    group_cost = group_constraint_costs(mean_cost);
  } else if (dims_.costs) {
    // J_c over the steady-state steps only (all of them without a warm-up).
    const auto w = ro_.warm.to(ro_.raw_costs.dtype()).unsqueeze(-1);  // [T, E, 1]
    auto n_warm = w.sum();
    auto cost_sum = (ro_.raw_costs * w).sum(c10::IntArrayRef{0, 1});  // [C]
    if (comm_->active()) {  // J_c over every rank's steps
      auto both = torch::cat({cost_sum, n_warm.reshape({1})});
      comm_->sum(both);
      cost_sum = both.narrow(0, 0, dims_.costs);
      n_warm = both[dims_.costs];
    }
    mean_cost = cost_sum / n_warm.clamp_min(1);
    lagrange_->update(mean_cost, ro_.raw_costs, n_warm > 0, comm_.get());
  }

  // ---- 6. the one host read, checks, log, checkpoint
  global_step_ += T * E * comm_->world_size();
  ++iteration_;
  // What the checkpoint's policy acts with next (the final floor at the end).
  policy_->spec.exploration_floor = exploration_floor_at(cfg_.train, iteration_, num_iterations_);
  IterationStats st = read_metrics(us, mean_cost, group_cost, returns, wm_ ? &wst : nullptr, wm_ ? &im : nullptr);
  // Phase times: per slot (env vs inference) when the collector timed them,
  // the phases after it from the clock (0 on an unprofiled GPU run).
  st.t_env = collector_->env_seconds() - env_s0;
  st.t_infer = collector_->inference_seconds() - infer_s0;
  if (st.t_env == 0 && st.t_infer == 0) st.t_env = t_rollout_end - t_start_rollout;  // a graph replay: one block
  st.t_gae = t_gae_end - t_rollout_end;
  st.t_wm = t_wm_end - t_gae_end;
  st.t_update = t_update_end - t_wm_end;
  // A non-finite number poisons the normalisers, the critic and then the
  // actor: stop before the checkpoint is overwritten, so the last one is good.
  // A usage error (exit 2): the settings diverged, and the fix is in them.
  const std::string bad = first_non_finite(st);
  if (!bad.empty()) {
    throw UsageError(fmt::format(
        "iteration {}: {}; training stopped, the last checkpoint is from before it (check the learning rates, "
        "ppo.max_grad_norm and the scenario's reward caps, e.g. env.reward_delay_cap_s)",
        iteration_, bad));
  }
  st.seconds = now_s() - t_start;
  st.sps = static_cast<double>(T * E * comm_->world_size()) / st.seconds;
  elapsed_s_ += st.seconds;
  history_.push_back(st);
  log(st);
  if (!run_dir_.empty() && (iteration_ % cfg_.train.checkpoint_every == 0 || iteration_ == num_iterations_)) {
    save(run_dir_ + "/checkpoints/last");
  }
  adapt_capacities(st);
  return st;
}

// J_c per population group from that group's warm cells only, every rank's
// summed per group; updates the group's multipliers. Returns [G, C] and sets
// `pooled` [C] to the J_c over all groups' cells (what one group would see).
torch::Tensor Trainer::group_constraint_costs(torch::Tensor& pooled) {
  const int64_t C = dims_.costs, G = lagrange_->groups();
  const auto w = ro_.warm.to(ro_.raw_costs.dtype()).unsqueeze(-1);             // [T, E, 1]
  auto cost_sum = lagrange_->sum_per_group((ro_.raw_costs * w).sum(0));         // [G, C]
  auto n_warm = lagrange_->sum_per_group(w.sum(0));                             // [G, 1]
  if (comm_->active()) {  // each rank holds the same groups: sum them group by group
    auto both = torch::cat({cost_sum, n_warm}, 1);  // [G, C + 1]
    comm_->sum(both);
    cost_sum = both.narrow(1, 0, C);
    n_warm = both.narrow(1, C, 1);
  }
  const auto mean_cost = cost_sum / n_warm.clamp_min(1);  // [G, C]
  lagrange_->update(mean_cost, ro_.raw_costs, n_warm.reshape({G}) > 0, comm_.get());
  pooled = cost_sum.sum(0) / n_warm.sum().clamp_min(1);
  return mean_cost;
}

// The metric tag suffix of each population group: "N150" (with the group's
// index after it when an N is listed twice).
std::vector<std::string> Trainer::group_tags() const {
  const auto& users = cfg_.train.num_users;
  std::vector<std::string> tags;
  for (size_t g = 0; g < users.size(); ++g) {
    const bool repeated = std::count(users.begin(), users.end(), users[g]) > 1;
    tags.push_back(repeated ? fmt::format("N{}_{}", users[g], g) : fmt::format("N{}", users[g]));
  }
  return tags;
}

IterationStats Trainer::read_metrics(const UpdateStats& us, const torch::Tensor& mean_cost,
                                     const torch::Tensor& group_cost, const torch::Tensor& returns,
                                     const WorldModelDeviceStats* wst, const ImaginedBatch* im) {
  const RolloutTally& tally = collector_->tally();
  const auto costs = env_.cost_names(), infos = env_.info_names();
  DeviceScalars& m = metrics_;
  m.set("rollout/episodes", tally.episodes);
  m.set("rollout/return_sum", tally.return_sum);
  m.set("rollout/length_sum", tally.length_sum);
  if (dims_.info) m.set_all("rollout/info_sum/", infos, tally.info_sums);
  m.set("rollout/decisions", tally.decisions);
  m.set("rollout/max_deciders", tally.max_deciders);
  m.set("rollout/decisions_dropped", tally.dropped);
  m.set("rollout/max_truncated", tally.max_truncated);
  // In the env's units (ro_.rewards may be scaled by ppo.norm_reward, whose scale drifts).
  m.set("charts/reward_per_step", tally.reward_sum / static_cast<double>(ro_.rewards.select(-1, 0).numel()));
  if (dims_.costs) {
    // Pooled: J_c over every cell, and lambda (with groups: the mean over envs
    // of their group's lambda, what the average cell pays).
    m.set_all("constraints/cost_", costs, mean_cost);
    m.set_all("constraints/lambda_", costs, lagrange_->pooled_lambda());
  }
  std::vector<std::string> group_names;  // "constraints/lambda_<cost>/N<n>", "constraints/cost_<cost>/N<n>"
  if (dims_.costs && group_cost.defined()) {
    const auto tags = group_tags();
    for (size_t g = 0; g < tags.size(); ++g) {
      std::vector<std::string> names;  // "<cost>/N<n>"
      for (const auto& c : costs) names.push_back(c + "/" + tags[g]);
      m.set_all("constraints/lambda_", names, lagrange_->lambda[static_cast<int64_t>(g)]);
      m.set_all("constraints/cost_", names, group_cost[static_cast<int64_t>(g)]);
      for (const auto& n : names) {
        group_names.push_back("constraints/lambda_" + n);
        group_names.push_back("constraints/cost_" + n);
      }
    }
  }
  m.set("losses/policy_loss", us.policy_loss);
  m.set("losses/value_loss", us.value_loss);
  m.set("losses/entropy", us.entropy);
  m.set("losses/approx_kl", us.approx_kl);
  m.set("losses/old_approx_kl", us.old_approx_kl);
  m.set("losses/clipfrac", us.clipfrac);
  m.set("losses/grad_norm", us.grad_norm);
  m.set("health/grad_norm_max", us.grad_norm_max);
  // Explained variance of the reward head over the rollout.
  const auto y = returns.select(-1, 0), v = ro_.values.select(-1, 0);
  const auto var_y = y.var();
  m.set("losses/explained_variance",
        torch::where(var_y > 0, 1 - (y - v).var() / var_y, torch::full({}, NAN, y.options())));
  std::vector<torch::Tensor> finite;
  for (const auto& p : policy_->parameters()) finite.push_back(torch::isfinite(p).all());
  m.set("health/params_finite", torch::stack(finite).all());
  if (wst) {
    m.set("wm/loss", wst->loss);
    m.set("wm/val_obs_error", wst->val_obs_error);
    m.set("wm/val_reward_error", wst->val_reward_error);
    m.set("wm/gate_open", (wst->gate > 0).to(wst->gate.dtype()));
    m.set("wm/model_weight", wst->gate);
    m.set("wm/imagined_decisions", im && im->valid ? im->active.sum() * wst->gate : torch::zeros({}, wst->gate.options()));
  }

  const auto h = m.read(HostRead::Metrics, *comm_);  // ---- the iteration's one host read (reduced over ranks)
  IterationStats st;
  st.scalars = h;
  st.iteration = iteration_;
  st.global_step = global_step_;
  const double n_ep = h.at("rollout/episodes");
  if (n_ep > 0) {
    last_return_ = h.at("rollout/return_sum") / n_ep;
    last_length_ = h.at("rollout/length_sum") / n_ep;
    for (size_t k = 0; k < infos.size(); ++k) last_info_[k] = h.at("rollout/info_sum/" + infos[k]) / n_ep;
  }
  st.episodic_return = last_return_;
  st.episodic_length = last_length_;
  st.episode_info = last_info_;
  st.decisions = h.at("rollout/decisions");
  st.decisions_dropped = h.at("rollout/decisions_dropped");
  st.reward_per_step = h.at("charts/reward_per_step");
  for (const auto& c : costs) {
    st.cost_per_step.push_back(h.at("constraints/cost_" + c));
    st.lambda.push_back(h.at("constraints/lambda_" + c));
  }
  for (const auto& name : group_names) st.group_constraints.emplace_back(name, h.at(name));
  st.policy_loss = h.at("losses/policy_loss");
  st.value_loss = h.at("losses/value_loss");
  st.entropy = h.at("losses/entropy");
  st.approx_kl = h.at("losses/approx_kl");
  st.old_approx_kl = h.at("losses/old_approx_kl");
  st.clipfrac = h.at("losses/clipfrac");
  st.explained_variance = h.at("losses/explained_variance");
  st.grad_norm = h.at("losses/grad_norm");
  st.params_finite = h.at("health/params_finite") > 0;
  if (wst) {
    st.wm.loss = h.at("wm/loss");
    st.wm.val_obs_error = h.at("wm/val_obs_error");
    st.wm.val_reward_error = st.wm.val_error = h.at("wm/val_reward_error");
    st.wm.gate_open = h.at("wm/gate_open");
    st.wm.model_weight = h.at("wm/model_weight");
    st.wm.imagined_decisions = h.at("wm/imagined_decisions");
    st.wm.mve_cells = im && im->valid ? static_cast<double>(im->mve_cells) * st.wm.gate_open : 0;
  }
  return st;
}

// Capacities follow what the data needed (each change reallocates the
// decision rows and, with a CUDA graph, costs a recapture).
void Trainer::adapt_capacities(const IterationStats& st) {
  const int64_t rows = static_cast<int64_t>(dims_.num_envs) * dims_.users;
  if (cfg_.train.decision_capacity == 0) {
    const int64_t cap = ro_.decision_capacity();
    const int64_t next = next_capacity(cap, static_cast<int64_t>(st.scalars.at("rollout/max_deciders")), rows);
    if (next != cap) {
      ro_.resize_decisions(next);
      graph_.reset();
      graph_warm_ = false;
    }
  }
  const int64_t cells = ro_.steps() * dims_.num_envs;
  trunc_capacity_ = std::max(trunc_capacity_,
                             next_capacity(trunc_capacity_, static_cast<int64_t>(st.scalars.at("rollout/max_truncated")), cells));
}

void Trainer::log(const IterationStats& st) {
  const auto costs = env_.cost_names();
  const auto infos = env_.info_names();
  if (!comm_->writer()) return;  // rank 0 logs for all
  if (!run_dir_.empty()) {
    const double lr = static_cast<torch::optim::AdamOptions&>(opt_->param_groups()[0].options()).lr();
    const Scalars s = tagged_scalars(st, lr, dims_.users, costs, infos, wm_ != nullptr);
    if (!logger_) {
      std::vector<std::string> cols;
      for (const auto& [k, v] : s) cols.push_back(k);
      logger_ = std::make_unique<RunLogger>(run_dir_, cols, iteration_ > 1 && fs::exists(run_dir_ + "/metrics.csv"));
    }
    logger_->log(st.global_step, s);
  }
  if (cfg_.train.quiet) return;
  // elapsed_s_ counts every iteration of the run (a resume restores it), history_ only this process's.
  const double per_iter = elapsed_s_ / static_cast<double>(std::max<long long>(1, st.iteration));
  RunLogger::print_line(progress_line(st, num_iterations_, costs, infos, wm_ != nullptr,
                                      per_iter * static_cast<double>(num_iterations_ - st.iteration)));
}

int Trainer::train(long long iterations) {
  const long long stop = iterations > 0 ? std::min(num_iterations_, iteration_ + iterations) : num_iterations_;
  if (!run_dir_.empty() && comm_->writer()) fs::create_directories(run_dir_);
  const double start = now_s(), limit = cfg_.train.time_limit_s;
  while (iteration_ < stop) {
    iterate();
    // Rank 0's clock and signals decide for all (the ranks must stop at the same iteration).
    const int sig = stop_signal();
    const bool time_up = limit > 0 && now_s() - start >= limit;
    if (comm_->broadcast_flag(iteration_ < stop && (time_up || sig != 0))) {
      const bool saved = iteration_ % cfg_.train.checkpoint_every == 0;
      if (!run_dir_.empty() && !saved) save(run_dir_ + "/checkpoints/last");
      if (!cfg_.train.quiet && comm_->writer()) {
        const std::string why = sig != 0 ? fmt::format("stopped by {}", sig == SIGINT ? "SIGINT" : "SIGTERM")
                                         : fmt::format("time limit of {:g} s reached", limit);
        RunLogger::print_line(fmt::format("{} after iteration {}/{}{}", why, iteration_, num_iterations_,
                                          run_dir_.empty() ? "" : "; checkpoint written, continue with resume=" + run_dir_));
      }
      return sig;
    }
  }
  return 0;
}

}  // namespace mecrl::agents
