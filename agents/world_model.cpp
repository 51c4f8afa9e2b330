#include "agents/world_model.h"

#include "agents/ppo_update.h"

#include <fmt/format.h>

#include <cmath>

#include "core/error.h"

namespace mecrl::agents {

using torch::indexing::Slice;

WorldModelImpl::WorldModelImpl(int64_t f, int64_t a, int64_t k, int64_t h) : features(f), actions(a), heads(k), hidden(h) {
  gru = register_module("gru", torch::nn::GRUCell(input_size(), h));
  delta_head = register_module("delta_head", torch::nn::Linear(h, f));
  reward_head = register_module("reward_head", torch::nn::Linear(h, k));
  cont_head = register_module("cont_head", torch::nn::Linear(h, 1));
  active_head = register_module("active_head", torch::nn::Linear(h, 1));
}

torch::Tensor WorldModelImpl::step(const torch::Tensor& x, const torch::Tensor& h) { return gru->forward(x, h); }

WorldModelLearner::WorldModelLearner(const WorldModelConfig& cfg, const PolicySpec& spec, int64_t heads,
                                     int64_t value_users, torch::Device device, ReturnScaler reward_scaler)
    : cfg_(cfg),
      spec_(spec),
      heads_(heads),
      value_users_(value_users),
      device_(device),
      scaler_(std::move(reward_scaler)) {
  model_ = WorldModel(spec.features, spec.actions, heads, cfg.hidden);
  model_->to(device);
  opt_ = std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(cfg.lr));
  gate_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
}

const torch::Tensor& WorldModelLearner::reward_targets(const Rollout& ro) const {
  if (!learns_raw_rewards()) return ro.rewards;
  if (!ro.raw_rewards.defined()) {
    throw std::logic_error("world model: wm.raw_targets needs Rollout::keep_raw_rewards()");
  }
  return ro.raw_rewards;
}

torch::Tensor WorldModelLearner::inputs(const torch::Tensor& obs_n, const torch::Tensor& actions,
                                        const torch::Tensor& active, const torch::Tensor& joint) const {
  const auto onehot = one_hot_f(actions, spec_.actions).to(obs_n.dtype()) * active.unsqueeze(-1).to(obs_n.dtype());
  return torch::cat({obs_n, onehot, joint}, -1);
}

WorldModelLearner::Batch WorldModelLearner::sample_windows(const Rollout& ro, ActorCritic& policy, int64_t n) const {
  const int64_t T = ro.obs.size(0), E = ro.obs.size(1), U = ro.obs.size(2), L = cfg_.window;
  const auto lopt = torch::TensorOptions().dtype(torch::kInt64).device(device_);
  const auto s = torch::randint(0, T - L + 1, {n}, lopt);
  const auto e = torch::randint(0, E, {n}, lopt).unsqueeze(0).expand({L, n});
  const auto i = torch::randint(0, U, {n}, lopt).unsqueeze(0).expand({L, n});
  const auto t = s.unsqueeze(0) + torch::arange(L, lopt).unsqueeze(1);  // [L, n]
  const auto iv = value_users_ == 1 ? torch::zeros_like(i) : i;
  Batch b;
  const auto obs_n = policy->norm(ro.obs.index({t, e, i}));
  b.x = inputs(obs_n, ro.actions.index({t, e, i}), ro.active.index({t, e, i}), ro.joint.index({t, e}));
  b.delta = policy->norm(ro.next_obs.index({t, e, i})) - obs_n;
  b.reward = reward_targets(ro).index({t, e, iv});
  const auto term = ro.terminated.index({t, e});
  b.cont = 1 - term.to(torch::kFloat32);
  b.reset = term.logical_or(ro.truncated.index({t, e})).to(torch::kFloat32);
  b.next_active = ro.next_active.index({t, e, i}).to(torch::kFloat32);
  return b;
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> WorldModelLearner::losses(const Batch& b) {
  const int64_t L = b.x.size(0), n = b.x.size(1);
  auto h = torch::zeros({n, cfg_.hidden}, b.x.options());
  std::vector<torch::Tensor> d, r, c, a;
  for (int64_t l = 0; l < L; ++l) {
    h = model_->step(b.x[l], h);
    d.push_back(model_->delta_head(h));
    r.push_back(model_->reward_head(h));
    c.push_back(model_->cont_head(h).squeeze(-1));
    a.push_back(model_->active_head(h).squeeze(-1));
    h = h * (1 - b.reset[l]).unsqueeze(-1);  // a new episode starts from an empty state
  }
  const auto pd = torch::stack(d), pr = torch::stack(r), pc = torch::stack(c), pa = torch::stack(a);
  // Each head's error relative to its target's variance (1 - R^2), so that
  // the reward and cost streams (small numbers, raw or scaled) weigh as much
  // as the observation, whatever their units; constant features carry no
  // information and are skipped.
  const std::vector<int64_t> dims = {0, 1};
  const auto obs_var = (b.delta - b.delta.mean(dims)).pow(2).mean(dims).detach();  // [F]
  const auto varying = (obs_var > 1e-6).to(obs_var.dtype());
  const auto obs_err = ((pd - b.delta).pow(2).mean(dims) / obs_var.clamp_min(1e-6) * varying).sum() /
                       varying.sum().clamp_min(1);
  const auto rew_var = (b.reward - b.reward.mean(dims)).pow(2).mean(dims).detach();  // [K]
  const auto head_err = (pr - b.reward).pow(2).mean(dims) / rew_var.clamp_min(1e-8);  // [K]
  const auto loss = obs_err + head_err.mean() + torch::binary_cross_entropy_with_logits(pc, b.cont) +
                    torch::binary_cross_entropy_with_logits(pa, b.next_active);
  // The gate looks at the reward head: constraint costs are mostly
  // unpredictable per step (an answer's correctness is a coin flip).
  return {loss, obs_err, head_err[0]};
}

WorldModelDeviceStats WorldModelLearner::fit(const Rollout& ro, ActorCritic& policy, long long iteration) {
  WorldModelDeviceStats st;
  {
    torch::NoGradGuard no_grad;
    const auto [loss, obs_err, rew_err] = losses(sample_windows(ro, policy, cfg_.batch_windows));
    st.val_obs_error = comm_ ? comm_->mean(obs_err) : obs_err;
    st.val_reward_error = comm_ ? comm_->mean(rew_err) : rew_err;
  }
  Rollout copy;  // the rollout's tensors are reused by the next one: keep clones of what the model reads
  copy.obs = ro.obs.clone(); copy.next_obs = ro.next_obs.clone(); copy.active = ro.active.clone();
  copy.next_active = ro.next_active.clone(); copy.actions = ro.actions.clone();
  if (learns_raw_rewards()) {
    copy.raw_rewards = reward_targets(ro).clone();
  } else {
    copy.rewards = ro.rewards.clone();
  }
  copy.terminated = ro.terminated.clone(); copy.truncated = ro.truncated.clone(); copy.joint = ro.joint.clone();
  replay_.push_back(copy);
  while (static_cast<int>(replay_.size()) > cfg_.replay_rollouts) replay_.pop_front();
  torch::Tensor last;
  for (int u = 0; u < cfg_.updates; ++u) {
    const int64_t per = std::max<int64_t>(1, cfg_.batch_windows / static_cast<int64_t>(replay_.size()));
    torch::Tensor loss;
    for (const auto& r : replay_) {
      const auto l = std::get<0>(losses(sample_windows(r, policy, per)));
      loss = loss.defined() ? loss + l : l;
    }
    loss = loss / static_cast<double>(replay_.size());
    opt_->zero_grad();
    loss.backward();
    if (comm_) comm_->average_gradients(model_->parameters());
    clip_grad_norm(model_->parameters(), 10.0);
    opt_->step();
    last = loss.detach();
  }
  st.loss = last.defined() ? last : torch::full({}, NAN, gate_.options());
  // The gate: past the warm-up, a finite validation error under the threshold.
  torch::NoGradGuard no_grad;
  const auto err = st.val_reward_error.to(gate_.dtype());
  if (iteration >= cfg_.warmup_iterations) {
    gate_.copy_((torch::isfinite(err) & (err < cfg_.gate_threshold)).to(gate_.dtype()));
  } else {
    gate_.zero_();
  }
  st.gate = gate_.clone();
  return st;
}

ImaginedBatch WorldModelLearner::imagine(const Rollout& ro, ActorCritic& policy, Lagrange& lag, torch::Tensor& returns,
                                         double gamma, double lambda, long long iteration) {
  ImaginedBatch out;
  if (iteration < cfg_.warmup_iterations) return out;
  torch::NoGradGuard no_grad;
  const int64_t T = ro.obs.size(0), E = ro.obs.size(1), U = ro.obs.size(2), F = spec_.features;
  const int64_t A = spec_.actions, L = std::min<int64_t>(cfg_.window, T - 1), H = cfg_.horizon;
  const auto lopt = torch::TensorOptions().dtype(torch::kInt64).device(device_);
  // K distinct start cells (t0, e) with t0 >= L, so a full burn-in window precedes them.
  const int64_t pairs = (T - L) * E, K = std::min<int64_t>(cfg_.imagine_cells, pairs);
  const auto pick = torch::randperm(pairs, lopt).narrow(0, 0, K);
  const auto t0 = L + torch::div(pick, E, "floor"), e = pick.remainder(E);
  // Burn-in: the GRU reads the L real steps before t0 for every user of the cell.
  auto h = torch::zeros({K * U, cfg_.hidden}, ro.obs.options());
  const auto tb = t0.unsqueeze(0) - L + torch::arange(L, lopt).unsqueeze(1);  // [L, K]
  const auto eb = e.unsqueeze(0).expand({L, K});
  for (int64_t l = 0; l < L; ++l) {
    const auto obs_n = policy->norm(ro.obs.index({tb[l], eb[l]}));  // [K, U, F]
    const auto x = inputs(obs_n, ro.actions.index({tb[l], eb[l]}), ro.active.index({tb[l], eb[l]}),
                          ro.joint.index({tb[l], eb[l]}).unsqueeze(1).expand({K, U, -1}));
    h = model_->step(x.reshape({K * U, -1}), h);
    const auto reset = ro.terminated.index({tb[l], eb[l]}).logical_or(ro.truncated.index({tb[l], eb[l]}));
    h = h * (1 - reset.to(h.dtype())).repeat_interleave(U).unsqueeze(-1);
  }
  // Imagine H steps with the current policy.
  auto s = ro.obs.index({t0, e});                   // [K, U, F] raw
  auto active = ro.active.index({t0, e});           // [K, U]
  const auto mask = ro.action_mask.index({t0, e});  // [K, U, A]
  const bool normed = spec_.norm_obs;
  std::vector<torch::Tensor> obs_k, act_k, a_k, logp_k, v_k, r_k, c_k;
  for (int64_t k = 0; k < H; ++k) {
    const auto logits = policy->dist_logits(s, mask);
    const auto a = sample_actions(logits) * active.to(torch::kInt64);
    obs_k.push_back(s); act_k.push_back(active); a_k.push_back(a);
    logp_k.push_back(log_prob_of(logits, a));
    v_k.push_back(policy->values(s));
    const auto onehot = one_hot_f(a, A) * active.unsqueeze(-1).to(s.dtype());
    const auto joint = onehot.narrow(-1, 1, std::max<int64_t>(A - 1, 1)).mean(1, true).expand({K, U, -1});
    const auto s_n = policy->norm(s);
    h = model_->step(torch::cat({s_n, onehot, A > 1 ? joint : torch::zeros({K, U, 1}, s.options())}, -1).reshape({K * U, -1}), h);
    const auto next_n = s_n + model_->delta_head(h).reshape({K, U, F});
    auto rhat = model_->reward_head(h).reshape({K, U, heads_});
    if (value_users_ == 1) rhat = rhat.mean(1, true);  // the team reward, as every user predicts it
    if (learns_raw_rewards()) rhat = scaler_->apply(rhat);  // into the scale of this rollout's streams and critic
    r_k.push_back(rhat);
    c_k.push_back(torch::sigmoid(model_->cont_head(h)).reshape({K, U}).mean(1).reshape({K, 1, 1}));
    active = torch::sigmoid(model_->active_head(h)).reshape({K, U}) > 0.5;
    s = normed ? next_n * (policy->obs_rms->var + 1e-8).sqrt().to(s.dtype()) + policy->obs_rms->mean.to(s.dtype())
               : next_n;
  }
  const auto v_last = policy->values(s);
  // Lambda-returns over the horizon (continuation-weighted), and the MVE
  // target of each start cell: the lambda = 1 return from k = 0.
  auto adv = torch::zeros_like(v_last), ret_mve = v_last;
  std::vector<torch::Tensor> adv_k(H);
  for (int64_t k = H - 1; k >= 0; --k) {
    const auto v_next = k == H - 1 ? v_last : v_k[k + 1];
    const auto delta = r_k[k] + gamma * c_k[k] * v_next - v_k[k];
    adv = delta + gamma * lambda * c_k[k] * adv;
    adv_k[k] = adv;
    ret_mve = r_k[k] + gamma * c_k[k] * ret_mve;
  }
  // Critic target of the start cells: (1 - beta) V_gae + beta V_mve, where
  // the gate is open. A diverged model must not poison the real targets.
  const auto old = returns.index({t0, e});
  const auto blended = torch::nan_to_num((1 - cfg_.mve_beta) * old + cfg_.mve_beta * ret_mve, 0.0, 0.0, 0.0);
  returns.index_put_({t0, e}, torch::where(gate_ > 0, blended, old));
  out.start_cells = K;

  // Imagined samples enter the loss weighted by the gate; with the gate
  // closed they must still be finite (0 * NaN is NaN): sanitised here.
  const auto advs = torch::nan_to_num(torch::stack(adv_k), 0.0, 0.0, 0.0);  // [H, K, Uv, heads]
  out.valid = true;
  out.obs = torch::nan_to_num(torch::stack(obs_k).reshape({H * K, U, F}), 0.0, 0.0, 0.0);
  out.active = torch::stack(act_k).reshape({H * K, U});
  out.action_mask = mask.unsqueeze(0).expand({H, K, U, A}).reshape({H * K, U, A});
  out.actions = torch::stack(a_k).reshape({H * K, U});
  out.logp = torch::stack(logp_k).reshape({H * K, U});
  out.values = torch::nan_to_num(torch::stack(v_k), 0.0, 0.0, 0.0).reshape({H * K, value_users_, heads_});
  out.returns = (advs + out.values.reshape(advs.sizes())).reshape({H * K, value_users_, heads_});
  auto heads = advs.reshape({H * K, value_users_, heads_});
  if (lag->active()) heads = heads / (heads.std(c10::IntArrayRef{0, 1}, true, true) + 1e-8);
  out.advantages = lag->combine(heads);
  return out;
}

std::map<std::string, torch::Tensor> WorldModelLearner::replay_tensors() const {
  std::map<std::string, torch::Tensor> m;
  for (size_t k = 0; k < replay_.size(); ++k) {
    const auto p = "replay." + std::to_string(k) + ".";
    const Rollout& r = replay_[k];
    m[p + "obs"] = r.obs; m[p + "next_obs"] = r.next_obs; m[p + "active"] = r.active;
    m[p + "next_active"] = r.next_active; m[p + "actions"] = r.actions;
    if (r.raw_rewards.defined()) m[p + "raw_rewards"] = r.raw_rewards; else m[p + "rewards"] = r.rewards;
    m[p + "terminated"] = r.terminated; m[p + "truncated"] = r.truncated; m[p + "joint"] = r.joint;
  }
  m["gate_open"] = gate_.to(torch::kInt64);
  return m;
}

void WorldModelLearner::load_replay(const std::map<std::string, torch::Tensor>& m, const std::string& origin) {
  replay_.clear();
  const char* want = learns_raw_rewards() ? "raw_rewards" : "rewards";
  for (size_t k = 0;; ++k) {
    const auto p = "replay." + std::to_string(k) + ".";
    if (!m.count(p + "obs")) break;
    if (!m.count(p + want)) {
      throw UsageError(fmt::format(
          "{}: the world model's replay has no '{}{}': it was written with {} reward streams, this run's model learns "
          "{} ones (resume with wm.raw_targets={}, or start a new run)",
          origin, p, want, learns_raw_rewards() ? "scaled" : "raw", learns_raw_rewards() ? "raw" : "scaled",
          learns_raw_rewards() ? "false" : "true"));
    }
    Rollout r;
    auto get = [&](const char* name) { return m.at(p + name).to(device_); };
    r.obs = get("obs"); r.next_obs = get("next_obs"); r.active = get("active").to(torch::kBool);
    r.next_active = get("next_active").to(torch::kBool); r.actions = get("actions");
    (learns_raw_rewards() ? r.raw_rewards : r.rewards) = get(want);
    r.terminated = get("terminated").to(torch::kBool); r.truncated = get("truncated").to(torch::kBool);
    r.joint = get("joint");
    replay_.push_back(r);
  }
  if (m.count("gate_open")) gate_.copy_(m.at("gate_open").to(gate_.device()).to(gate_.dtype()));
}

}  // namespace mecrl::agents
