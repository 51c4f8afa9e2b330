#include "agents/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "agents/checkpoint.h"
#include "agents/gae.h"
#include "agents/ppo_loss.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace mecrl::agents {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string eta_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const long s = static_cast<long>(seconds);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60) : fmt::format("{}m{:02}s", s / 60, s % 60);
}

// Per-head advantage scaling before the Lagrangian combination, so that the
// multipliers weigh streams of comparable size.
torch::Tensor scale_heads(const torch::Tensor& adv) {
  std::vector<int64_t> dims(adv.dim() - 1);
  for (int64_t d = 0; d + 1 < adv.dim(); ++d) dims[d] = d;
  return adv / (adv.std(dims, true, true) + 1e-8);
}

}  // namespace

Trainer::Trainer(VecEnv& env, const AgentConfig& cfg, std::string run_dir, std::vector<ResolvedKey> resolved)
    : env_(env),
      cfg_(cfg),
      run_dir_(std::move(run_dir)),
      resolved_(std::move(resolved)),
      et_(wrap_env(env)),
      dims_(env.dims()),
      device_(et_.device) {
  const PpoConfig& p = cfg_.ppo;
  torch::manual_seed(cfg_.seed);  // initial weights depend on the seed only
  lagrange_ = Lagrange(cfg_.lag, dims_.costs);
  K_ = lagrange_->active() ? 1 + dims_.costs : 1;
  PolicySpec spec{dims_.features, dims_.actions, dims_.users, K_, p.hidden, p.critic, p.norm_obs};
  policy_ = ActorCritic(spec);
  Uv_ = policy_->value_users();
  policy_->to(device_);
  lagrange_->to(device_);
  scaler_ = ReturnScaler(dims_.num_envs * Uv_, K_, p.gamma);
  scaler_->to(device_);
  opt_ = std::make_unique<torch::optim::Adam>(policy_->parameters(), torch::optim::AdamOptions(p.lr).eps(p.adam_eps));
  if (cfg_.wm.enabled) wm_ = std::make_unique<WorldModelLearner>(cfg_.wm, spec, K_, Uv_, device_);
  const int64_t T = cfg_.train.rollout_steps;
  ro_ = Rollout::allocate(T, dims_.num_envs, dims_.users, dims_.features, dims_.actions, dims_.costs, Uv_, K_, device_);
  actions_i32_ = torch::zeros({dims_.num_envs, dims_.users}, torch::TensorOptions().dtype(torch::kInt32).device(device_));
  ep_step_ = torch::zeros({dims_.num_envs}, torch::TensorOptions().dtype(torch::kInt64).device(device_));
  warm_ = torch::zeros({T, dims_.num_envs}, torch::TensorOptions().dtype(torch::kBool).device(device_));
  const int64_t batch = T * dims_.num_envs;
  num_iterations_ = std::max<long long>(1, cfg_.train.total_steps / batch);
  ep_acc_ = torch::zeros({3 + dims_.costs + dims_.info}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  decisions_acc_ = torch::zeros({}, ep_acc_.options());
  last_info_.assign(dims_.info, NAN);
}

Trainer::~Trainer() = default;

torch::Tensor Trainer::reward_streams() {
  const int64_t E = dims_.num_envs, U = dims_.users;
  torch::Tensor r;
  if (Uv_ == 1) {
    r = et_.reward.reshape({E, 1});
  } else if (cfg_.ppo.reward == "own") {
    r = et_.reward_user;
  } else if (cfg_.ppo.reward == "mix") {
    const double b = cfg_.ppo.reward_mix;
    r = (1 - b) * et_.reward_user + b * et_.reward.unsqueeze(1);
  } else {
    r = et_.reward.unsqueeze(1).expand({E, U});
  }
  r = r.unsqueeze(-1);  // [E, Uv, 1]
  if (K_ == 1) return r.contiguous();
  // Cost streams follow the reward's mode: a user's own cost share, the
  // cell's mean, or the mix.
  const auto team = et_.costs.unsqueeze(1).expand({E, Uv_, dims_.costs});
  torch::Tensor c = team;
  if (Uv_ > 1 && cfg_.ppo.reward == "own") c = et_.costs_user;
  if (Uv_ > 1 && cfg_.ppo.reward == "mix") c = (1 - cfg_.ppo.reward_mix) * et_.costs_user + cfg_.ppo.reward_mix * team;
  return torch::cat({r, c}, -1);
}

double Trainer::clock() {
  if (!device_.is_cpu()) {
    if (!cfg_.train.profile) return 0.0;
    torch::cuda::synchronize();
  }
  return now_s();
}

void Trainer::collect(IterationStats& st) {
  torch::NoGradGuard no_grad;
  const int64_t T = cfg_.train.rollout_steps, E = dims_.num_envs, A = dims_.actions;
  const bool cpu = device_.is_cpu();
  for (int64_t t = 0; t < T; ++t) {
    const double t0 = clock();
    const auto obs = et_.obs;
    ro_.obs[t].copy_(obs);
    ro_.active[t].copy_(et_.active);
    ro_.action_mask[t].copy_(et_.action_mask);
    const auto active = ro_.active[t];
    torch::Tensor a;
    if (cpu) {
      // Only the deciding users need the actor (~1 % of rows at N = 100);
      // gathering them costs a host sync, which is free on the CPU.
      const auto idx = active.reshape({-1}).nonzero().squeeze(1);
      const auto logits = policy_->logits(obs.reshape({-1, dims_.features}).index_select(0, idx),
                                          ro_.action_mask[t].reshape({-1, A}).index_select(0, idx));
      const auto picked = sample_actions(logits);
      a = torch::zeros({E * dims_.users}, torch::kInt64).index_copy_(0, idx, picked).reshape({E, dims_.users});
      ro_.logp[t].zero_();
      ro_.logp[t].view({-1}).index_copy_(0, idx, log_prob_of(logits, picked));
    } else {
      const auto logits = policy_->logits(obs, ro_.action_mask[t]);
      a = sample_actions(logits) * active.to(torch::kInt64);
      ro_.logp[t].copy_(log_prob_of(logits, a));
    }
    ro_.actions[t].copy_(a);
    ro_.values[t].copy_(policy_->values(obs));
    if (A > 1) {
      const auto onehot = torch::one_hot(a, A).to(torch::kFloat32) * active.unsqueeze(-1).to(torch::kFloat32);
      ro_.joint[t].copy_(onehot.narrow(-1, 1, A - 1).mean(1));
    }
    actions_i32_.copy_(a);
    const double t1 = clock();
    env_.step(actions_i32_.data_ptr<int32_t>());
    const double t2 = clock();
    st.t_infer += t1 - t0;
    st.t_env += t2 - t1;

    const auto term = et_.terminated.to(torch::kBool), trunc = et_.truncated.to(torch::kBool);
    const auto done = term.logical_or(trunc);
    auto streams = reward_streams();
    if (cfg_.ppo.norm_reward) {
      streams = scaler_->scale(streams.reshape({E * Uv_, K_}), done.repeat_interleave(Uv_)).reshape({E, Uv_, K_});
    }
    ro_.rewards[t].copy_(streams);
    ro_.raw_costs[t].copy_(et_.costs);
    ro_.terminated[t].copy_(term);
    ep_step_ += 1;
    warm_[t].copy_(ep_step_ > cfg_.lag.warmup_steps);
    ep_step_.masked_fill_(done, 0);
    ro_.truncated[t].copy_(trunc);
    ro_.next_active[t].copy_(et_.active);
    const auto done3 = done.reshape({E, 1, 1});
    ro_.next_obs[t].copy_(torch::where(done3, et_.final_obs, et_.obs));
    // V(final obs) for the truncation bootstrap. On the CPU the check is
    // free; on a GPU it would be a sync, so we evaluate unconditionally.
    if (!cpu || trunc.any().item<bool>()) {
      ro_.trunc_values[t].copy_(policy_->values(et_.final_obs) * trunc.reshape({E, 1, 1}).to(torch::kFloat32));
    } else {
      ro_.trunc_values[t].zero_();
    }
    // Episode statistics of the envs that finished, accumulated on the device.
    const auto d = done.to(torch::kFloat64);
    std::vector<torch::Tensor> parts = {(et_.ep_return.to(torch::kFloat64) * d).sum().reshape({1}),
                                        (et_.ep_length.to(torch::kFloat64) * d).sum().reshape({1}), d.sum().reshape({1})};
    if (dims_.costs) parts.push_back((et_.ep_costs.to(torch::kFloat64) * d.unsqueeze(1)).sum(0));
    if (dims_.info) parts.push_back((et_.ep_info.to(torch::kFloat64) * d.unsqueeze(1)).sum(0));
    ep_acc_ += torch::cat(parts);
    decisions_acc_ += et_.decisions.to(torch::kFloat64).sum();
  }
  last_value_ = policy_->values(et_.obs);
}

IterationStats Trainer::rollout_only() {
  IterationStats st;
  const double t0 = now_s();
  collect(st);
  if (!device_.is_cpu()) clock();
  st.seconds = now_s() - t0;
  st.decisions = decisions_acc_.item<double>();
  decisions_acc_.zero_();
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
  ep_acc_.zero_();
  decisions_acc_.zero_();
  IterationStats st;
  collect(st);

  double t0 = clock();
  torch::Tensor lambda_next;  // [T, E, Uv, 1]: lambda at decisions, gae_lambda_idle in between
  if (Uv_ > 1 && p.gae_lambda_idle != p.gae_lambda) {
    const int64_t T = cfg_.train.rollout_steps;
    const auto decides_next = torch::cat({ro_.active.narrow(0, 1, T - 1), ro_.next_active.narrow(0, T - 1, 1)}, 0);
    lambda_next = torch::where(decides_next, torch::full({}, p.gae_lambda, ro_.rewards.options()),
                               torch::full({}, p.gae_lambda_idle, ro_.rewards.options()))
                      .unsqueeze(-1);
  }
  const auto gae = compute_gae(ro_.rewards, ro_.values, last_value_, ro_.terminated, ro_.truncated, ro_.trunc_values,
                               p.gamma, p.gae_lambda, lambda_next);
  double t1 = clock();
  st.t_gae = t1 - t0;
  auto returns = gae.returns;
  ImaginedBatch imagined;
  if (wm_) {
    st.wm = wm_->fit(ro_, policy_, iteration_);
    imagined = wm_->imagine(ro_, policy_, lagrange_, returns, p.gamma, p.gae_lambda, st.wm);
  }
  t0 = clock();
  st.t_wm = t0 - t1;
  // Advantages of the real data, heads combined by the multipliers.
  auto heads = gae.advantages;
  if (lagrange_->active()) heads = scale_heads(heads);
  const auto advantages = lagrange_->combine(heads);  // [T, E, Uv]
  update(advantages, returns, imagined, st);
  st.t_update = clock() - t0;

  // Observation statistics move only between iterations: the update must
  // see the inputs the behaviour policy saw, or the ratios start away from 1.
  if (p.norm_obs) policy_->obs_rms->update(ro_.obs);

  // Multipliers from this iteration's mean per-step costs.
  torch::Tensor mean_cost;
  if (dims_.costs) {
    // J_c over the steady-state steps only (all of them without a warm-up).
    const auto w = warm_.to(ro_.raw_costs.dtype()).unsqueeze(-1);  // [T, E, 1]
    const auto n_warm = w.sum();
    mean_cost = (ro_.raw_costs * w).sum(c10::IntArrayRef{0, 1}) / n_warm.clamp_min(1);
    lagrange_->update(mean_cost, ro_.raw_costs, n_warm > 0);
  }

  // ---- the one metrics copy of the iteration
  const int64_t batch = cfg_.train.rollout_steps * dims_.num_envs;
  global_step_ += batch;
  ++iteration_;
  std::vector<torch::Tensor> pack = {ep_acc_.to(torch::kFloat64), decisions_acc_.reshape({1}),
                                     ro_.rewards.select(-1, 0).mean().reshape({1}).to(torch::kFloat64)};
  if (dims_.costs) {
    pack.push_back(mean_cost.to(torch::kFloat64));
    pack.push_back(lagrange_->lambda.to(torch::kFloat64));
  }
  const auto host = torch::cat(pack).to(torch::kCPU);
  const double* h = host.data_ptr<double>();
  const int64_t C = dims_.costs, I = dims_.info;
  const double n_ep = h[2];
  if (n_ep > 0) {
    last_return_ = h[0] / n_ep;
    last_length_ = h[1] / n_ep;
    for (int64_t k = 0; k < I; ++k) last_info_[k] = h[3 + C + k] / n_ep;
  }
  st.iteration = iteration_;
  st.global_step = global_step_;
  st.episodic_return = last_return_;
  st.episodic_length = last_length_;
  st.episode_info = last_info_;
  st.decisions = h[3 + C + I];
  st.reward_per_step = h[4 + C + I];
  for (int64_t k = 0; k < C; ++k) {
    st.cost_per_step.push_back(h[5 + C + I + k]);
    st.lambda.push_back(h[5 + 2 * C + I + k]);
  }
  // A non-finite reward poisons the normaliser, the critic and then the
  // actor. Stop before the checkpoint is overwritten, so the last one is good.
  if (!std::isfinite(st.reward_per_step)) {
    throw std::runtime_error(fmt::format(
        "iteration {}: the environment returned a non-finite reward (mean per step {}); the last checkpoint is "
        "from before it. Check the scenario's reward caps (e.g. env.reward_delay_cap_s)",
        iteration_, st.reward_per_step));
  }
  st.seconds = now_s() - t_start;
  st.sps = static_cast<double>(batch) / st.seconds;
  elapsed_s_ += st.seconds;
  history_.push_back(st);
  log(st);
  if (!run_dir_.empty() && (iteration_ % cfg_.train.checkpoint_every == 0 || iteration_ == num_iterations_)) {
    save(run_dir_ + "/checkpoints/last");
  }
  return st;
}

void Trainer::update(const torch::Tensor& advantages, const torch::Tensor& returns, const ImaginedBatch& im,
                     IterationStats& st) {
  const PpoConfig& p = cfg_.ppo;
  const int64_t T = cfg_.train.rollout_steps, E = dims_.num_envs, U = dims_.users, F = dims_.features,
                A = dims_.actions;
  // Actor rows: the users that decided (one gather, the iteration's one index sync).
  const auto idx = ro_.active.reshape({-1}).nonzero().squeeze(1);
  const auto obs_a = ro_.obs.reshape({-1, F}).index_select(0, idx);
  const auto mask_a = ro_.action_mask.reshape({-1, A}).index_select(0, idx);
  const auto act_a = ro_.actions.reshape({-1}).index_select(0, idx);
  const auto logp_a = ro_.logp.reshape({-1}).index_select(0, idx);
  const auto adv_a = (Uv_ == 1 ? advantages.expand({T, E, U}) : advantages).reshape({-1}).index_select(0, idx);
  const int64_t D = idx.size(0);
  // Critic rows: every (step, cell).
  const auto obs_c = ro_.obs.reshape({T * E, U, F});
  const auto ret_c = returns.reshape({T * E, Uv_, K_});
  const auto val_c = ro_.values.reshape({T * E, Uv_, K_});
  // Imagined rows (world model), weighted by w_im.
  torch::Tensor im_obs_a, im_mask_a, im_act_a, im_logp_a, im_adv_a;
  int64_t D_im = 0, N_im = 0;
  if (im.valid) {
    const auto iidx = im.active.reshape({-1}).nonzero().squeeze(1);
    im_obs_a = im.obs.reshape({-1, F}).index_select(0, iidx);
    im_mask_a = im.action_mask.reshape({-1, A}).index_select(0, iidx);
    im_act_a = im.actions.reshape({-1}).index_select(0, iidx);
    im_logp_a = im.logp.reshape({-1}).index_select(0, iidx);
    const int64_t n = im.obs.size(0);
    im_adv_a = (Uv_ == 1 ? im.advantages.expand({n, U}) : im.advantages).reshape({-1}).index_select(0, iidx);
    D_im = iidx.size(0);
    N_im = n;
    st.wm.imagined_decisions = static_cast<double>(D_im);
  }

  const int64_t nmb = p.num_minibatches;
  const auto lopt = torch::TensorOptions().dtype(torch::kInt64).device(device_);
  torch::Tensor pg_sum = torch::zeros({}, obs_c.options()), v_sum = pg_sum.clone(), ent_sum = pg_sum.clone(),
                kl_sum = pg_sum.clone(), oldkl_sum = pg_sum.clone(), cf_sum = pg_sum.clone();
  int64_t n_mb = 0;
  auto chunk = [](const torch::Tensor& perm, int64_t k, int64_t n) {
    const int64_t size = perm.size(0), lo = size * k / n, hi = size * (k + 1) / n;
    return perm.narrow(0, lo, hi - lo);
  };
  auto actor_terms = [&](const torch::Tensor& obs, const torch::Tensor& mask, const torch::Tensor& act,
                         const torch::Tensor& old_logp, const torch::Tensor& adv, PolicyLoss& pl, torch::Tensor& ent) {
    const auto logits = policy_->logits(obs, mask);
    const auto new_logp = log_prob_of(logits, act);
    const auto w = torch::ones_like(new_logp);
    const auto a = p.norm_adv ? normalize_advantages(adv, w) : adv;
    pl = clipped_policy_loss(new_logp, old_logp, a, w, p.clip_coef);
    ent = entropy_of(logits).mean();
  };
  for (int epoch = 0; epoch < p.update_epochs; ++epoch) {
    const auto perm_a = torch::randperm(D, lopt), perm_c = torch::randperm(T * E, lopt);
    const auto perm_ia = torch::randperm(D_im, lopt), perm_ic = torch::randperm(N_im, lopt);
    torch::Tensor epoch_kl;
    for (int64_t k = 0; k < nmb; ++k) {
      torch::Tensor loss = torch::zeros({}, obs_c.options());
      const auto ia = chunk(perm_a, k, nmb);
      if (ia.size(0) > 0) {
        PolicyLoss pl;
        torch::Tensor ent;
        actor_terms(obs_a.index_select(0, ia), mask_a.index_select(0, ia), act_a.index_select(0, ia),
                    logp_a.index_select(0, ia), adv_a.index_select(0, ia), pl, ent);
        loss = loss + pl.loss - p.ent_coef * ent;
        pg_sum += pl.loss.detach();
        ent_sum += ent.detach();
        kl_sum += pl.approx_kl;
        cf_sum += pl.clipfrac;
        epoch_kl = pl.approx_kl;
        oldkl_sum += pl.old_approx_kl;
      }
      const auto ic = chunk(perm_c, k, nmb).narrow(0, 0, std::max<int64_t>(1, chunk(perm_c, k, nmb).size(0) * p.value_sample));
      const auto v = policy_->values(obs_c.index_select(0, ic));
      const auto vl = value_loss(v, val_c.index_select(0, ic), ret_c.index_select(0, ic), torch::ones_like(v),
                                 p.clip_coef, p.clip_vloss);
      loss = loss + p.vf_coef * vl;
      v_sum += vl.detach();
      if (im.valid && cfg_.wm.imagine_weight > 0) {  // imagined samples, weight w_im
        const double w = cfg_.wm.imagine_weight;
        const auto iia = chunk(perm_ia, k, nmb);
        if (iia.size(0) > 0) {
          PolicyLoss pl;
          torch::Tensor ent;
          actor_terms(im_obs_a.index_select(0, iia), im_mask_a.index_select(0, iia), im_act_a.index_select(0, iia),
                      im_logp_a.index_select(0, iia), im_adv_a.index_select(0, iia), pl, ent);
          loss = loss + w * (pl.loss - p.ent_coef * ent);
        }
        const auto iic = chunk(perm_ic, k, nmb);
        if (iic.size(0) > 0) {
          const auto vi = policy_->values(im.obs.index_select(0, iic));
          loss = loss + w * p.vf_coef *
                            value_loss(vi, im.values.index_select(0, iic), im.returns.index_select(0, iic),
                                       torch::ones_like(vi), p.clip_coef, p.clip_vloss);
        }
      }
      opt_->zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(policy_->parameters(), p.max_grad_norm);
      opt_->step();
      ++n_mb;
    }
    // Optional early stop (a host sync per epoch, only when asked for).
    if (p.target_kl > 0 && epoch_kl.defined() && epoch_kl.item<double>() > p.target_kl) break;
  }
  // Explained variance of the reward head over the rollout.
  const auto y = returns.select(-1, 0), v = ro_.values.select(-1, 0);
  const auto var_y = y.var();
  const auto ev = torch::where(var_y > 0, 1 - (y - v).var() / var_y, torch::full({}, NAN, y.options()));
  const double inv = 1.0 / std::max<int64_t>(n_mb, 1);
  const auto host = torch::stack({pg_sum * inv, v_sum * inv, ent_sum * inv, kl_sum * inv, oldkl_sum * inv,
                                  cf_sum * inv, ev})
                        .to(torch::kFloat64)
                        .to(torch::kCPU);
  const double* h = host.data_ptr<double>();
  st.policy_loss = h[0];
  st.value_loss = h[1];
  st.entropy = h[2];
  st.approx_kl = h[3];
  st.old_approx_kl = h[4];
  st.clipfrac = h[5];
  st.explained_variance = h[6];
}

void Trainer::log(const IterationStats& st) {
  const auto costs = env_.cost_names();
  const auto infos = env_.info_names();
  const double lr = static_cast<torch::optim::AdamOptions&>(opt_->param_groups()[0].options()).lr();
  Scalars s = {{"global_step", static_cast<double>(st.global_step)},
               {"charts/episodic_return", st.episodic_return},
               {"charts/episodic_length", st.episodic_length},
               {"charts/reward_per_step", st.reward_per_step},
               {"charts/SPS", st.sps},
               {"charts/user_slots_per_s", st.sps * dims_.users},
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
               {"losses/explained_variance", st.explained_variance}};
  for (size_t k = 0; k < costs.size(); ++k) {
    s.emplace_back("constraints/cost_" + costs[k], st.cost_per_step[k]);
    s.emplace_back("constraints/lambda_" + costs[k], st.lambda[k]);
  }
  for (size_t k = 0; k < infos.size(); ++k) s.emplace_back("mec/" + infos[k], st.episode_info[k]);
  if (wm_) {
    s.emplace_back("wm/loss", st.wm.loss);
    s.emplace_back("wm/val_error", st.wm.val_error);
    s.emplace_back("wm/val_obs_error", st.wm.val_obs_error);
    s.emplace_back("wm/val_reward_error", st.wm.val_reward_error);
    s.emplace_back("wm/gate_open", st.wm.gate_open);
    s.emplace_back("wm/imagined_decisions", st.wm.imagined_decisions);
  }
  if (!run_dir_.empty()) {
    if (!logger_) {
      std::vector<std::string> cols;
      for (const auto& [k, v] : s) cols.push_back(k);
      logger_ = std::make_unique<RunLogger>(run_dir_, cols, iteration_ > 1 && fs::exists(run_dir_ + "/metrics.csv"));
    }
    logger_->log(st.global_step, s);
  }
  if (cfg_.train.quiet) return;
  std::string line = fmt::format("iter {:>4}/{} | steps {:>9} | {:>7.0f} sps | return {:>9.3f} | r/step {:>8.4f}",
                                 st.iteration, num_iterations_, st.global_step, st.sps, st.episodic_return,
                                 st.reward_per_step);
  for (size_t k = 0; k < infos.size() && k < 1; ++k) line += fmt::format(" | {} {:.2f}", infos[k], st.episode_info[k]);
  for (size_t k = 0; k < costs.size(); ++k) {
    line += fmt::format(" | {} {:+.3g} (λ {:.3f})", costs[k], st.cost_per_step[k], st.lambda[k]);
  }
  if (wm_) line += fmt::format(" | wm err {:.3f}{}", st.wm.val_error, st.wm.gate_open > 0 ? " on" : " off");
  const double per_iter = elapsed_s_ / std::max<long long>(1, static_cast<long long>(history_.size()));
  line += fmt::format(" | eta {}", eta_text(per_iter * static_cast<double>(num_iterations_ - st.iteration)));
  RunLogger::print_line(line);
}

void Trainer::train(long long iterations) {
  const long long stop = iterations > 0 ? std::min(num_iterations_, iteration_ + iterations) : num_iterations_;
  if (!run_dir_.empty()) fs::create_directories(run_dir_);
  const double start = now_s(), limit = cfg_.train.time_limit_s;
  while (iteration_ < stop) {
    iterate();
    if (limit > 0 && iteration_ < stop && now_s() - start >= limit) {
      const bool saved = iteration_ % cfg_.train.checkpoint_every == 0;
      if (!run_dir_.empty() && !saved) save(run_dir_ + "/checkpoints/last");
      if (!cfg_.train.quiet) {
        RunLogger::print_line(fmt::format("time limit of {:g} s reached after iteration {}/{}{}", limit, iteration_,
                                          num_iterations_,
                                          run_dir_.empty() ? "" : "; checkpoint written, continue with resume=" + run_dir_));
      }
      break;
    }
  }
}

void Trainer::save(const std::string& dir) {
  CheckpointData data;
  add_module_tensors(data.model, *policy_, "policy.");
  add_module_tensors(data.model, *scaler_, "scaler.");
  add_module_tensors(data.model, *lagrange_, "lagrange.");
  data.optimizers["optimizer"] = serialize_optimizer(*opt_);
  if (wm_) {
    add_module_tensors(data.model, *wm_->model(), "wm.");
    data.optimizers["wm_optimizer"] = serialize_optimizer(wm_->optimizer());
    for (const auto& [k, t] : wm_->replay_tensors()) data.extra[k] = to_blob(t);
  }
  data.extra["trainer.ep_step"] = to_blob(ep_step_);
  const auto env_bytes = env_.save_state();
  data.env_state.assign(reinterpret_cast<const char*>(env_bytes.data()), env_bytes.size());
  data.trainer = {{"iteration", iteration_},
                  {"global_step", global_step_},
                  {"num_iterations", num_iterations_},
                  {"elapsed_s", elapsed_s_},
                  {"scenario", env_.scenario()},
                  {"seed", cfg_.seed},
                  {"num_envs", dims_.num_envs},
                  {"last_return", std::isnan(last_return_) ? nlohmann::json(nullptr) : nlohmann::json(last_return_)},
                  {"last_length", std::isnan(last_length_) ? nlohmann::json(nullptr) : nlohmann::json(last_length_)},
                  {"policy_spec", spec_to_json(policy_->spec)}};
  nlohmann::json info = nlohmann::json::array();
  for (double v : last_info_) info.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
  data.trainer["last_info"] = info;
  save_checkpoint(dir, data);
}

void Trainer::resume() {
  const std::string dir = run_dir_ + "/checkpoints/last";
  const CheckpointData data = load_checkpoint(dir);
  const auto& tj = data.trainer;
  if (tj.value("scenario", "") != env_.scenario() || tj.value("num_envs", -1) != dims_.num_envs) {
    throw UsageError(fmt::format("{}: checkpoint is for scenario '{}' with {} envs, the config asks for '{}' with {}",
                                 dir, tj.value("scenario", "?"), tj.value("num_envs", -1), env_.scenario(),
                                 dims_.num_envs));
  }
  load_module_tensors(*policy_, data.model, "policy.", dir);
  load_module_tensors(*scaler_, data.model, "scaler.", dir);
  load_module_tensors(*lagrange_, data.model, "lagrange.", dir);
  if (!data.optimizers.count("optimizer")) throw UsageError(dir + ": optimizer state missing");
  deserialize_optimizer(*opt_, data.optimizers.at("optimizer"));
  if (wm_) {
    load_module_tensors(*wm_->model(), data.model, "wm.", dir);
    if (!data.optimizers.count("wm_optimizer")) throw UsageError(dir + ": world-model optimizer state missing");
    deserialize_optimizer(wm_->optimizer(), data.optimizers.at("wm_optimizer"));
    std::map<std::string, torch::Tensor> replay;
    for (const auto& [k, b] : data.extra) replay[k] = from_blob_copy(b);
    wm_->load_replay(replay);
  }
  env_.load_state(std::vector<uint8_t>(data.env_state.begin(), data.env_state.end()));
  if (data.extra.count("trainer.ep_step")) ep_step_.copy_(from_blob_copy(data.extra.at("trainer.ep_step")));
  iteration_ = tj.value("iteration", 0LL);
  global_step_ = tj.value("global_step", 0LL);
  elapsed_s_ = tj.value("elapsed_s", 0.0);
  last_return_ = tj["last_return"].is_number() ? tj["last_return"].get<double>() : NAN;
  last_length_ = tj["last_length"].is_number() ? tj["last_length"].get<double>() : NAN;
  if (tj.contains("last_info")) {
    for (size_t k = 0; k < last_info_.size() && k < tj["last_info"].size(); ++k) {
      last_info_[k] = tj["last_info"][k].is_number() ? tj["last_info"][k].get<double>() : NAN;
    }
  }
}

}  // namespace mecrl::agents
