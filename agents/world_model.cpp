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
  // The model's weight: 0 during the warm-up or for a non-finite error; then
  // either a gate (1 under the threshold) or falling linearly with the error
  // (1 for a perfect model, 0 at the threshold): a model that is merely
  // usable shifts the critic targets less than a good one.
  torch::NoGradGuard no_grad;
  const auto err = st.val_reward_error.to(gate_.dtype());
  if (iteration >= cfg_.warmup_iterations) {
    const auto w = cfg_.weighting == "error" ? (1 - err / cfg_.gate_threshold).clamp(0, 1)
                                             : (err < cfg_.gate_threshold).to(gate_.dtype());
    gate_.copy_(torch::where(torch::isfinite(err), w, torch::zeros_like(w)));
  } else {
    gate_.zero_();
  }
  st.gate = gate_.clone();
  return st;
}

torch::Tensor WorldModelLearner::history_states(const Rollout& ro, ActorCritic& policy, int64_t e0, int64_t n,
                                               int64_t L) {
  // One pass over the real slots (as Dreamer starts imagination from the
  // states of its whole training sequence) instead of a burn-in window per
  // start. The model learns from L-slot windows that begin empty, so a state
  // with L or more slots of history is outside what it was trained on: two
  // passes, emptied every L slots at offsets 0 and L/2, run as one batch;
  // slot t takes the state of the one with the longer history.
  const int64_t T = ro.obs.size(0), U = ro.obs.size(2), L0 = L / 2;
  auto h = torch::zeros({2, n * U, cfg_.hidden}, ro.obs.options());
  auto pre = torch::empty({T, n, U, cfg_.hidden}, ro.obs.options());
  for (int64_t t = 0; t < T; ++t) {
    if (t % L == 0) h[0].zero_();
    if (t >= L0 && (t - L0) % L == 0) h[1].zero_();
    const int64_t hist0 = t % L, hist1 = t < L0 ? t : (t - L0) % L;
    pre[t].copy_(h[hist0 >= hist1 ? 0 : 1].reshape({n, U, cfg_.hidden}));
    const auto obs_n = policy->norm(ro.obs[t].narrow(0, e0, n));
    const auto x = inputs(obs_n, ro.actions[t].narrow(0, e0, n), ro.active[t].narrow(0, e0, n),
                          ro.joint[t].narrow(0, e0, n).unsqueeze(1).expand({n, U, -1}))
                       .reshape({n * U, -1});
    h = model_->step(x.repeat({2, 1}), h.reshape({2 * n * U, cfg_.hidden})).reshape({2, n * U, cfg_.hidden});
    const auto reset = ro.terminated[t].narrow(0, e0, n).logical_or(ro.truncated[t].narrow(0, e0, n));
    h = h * (1 - reset.to(h.dtype())).repeat_interleave(U).unsqueeze(-1);  // a new episode starts empty
  }
  return pre;
}

ImaginedBatch WorldModelLearner::imagine(const Rollout& ro, ActorCritic& policy, Lagrange& lag, torch::Tensor& returns,
                                         double gamma, double lambda, long long iteration) {
  ImaginedBatch out;
  if (iteration < cfg_.warmup_iterations) return out;
  torch::NoGradGuard no_grad;
  const int64_t T = ro.obs.size(0), E = ro.obs.size(1), U = ro.obs.size(2), F = spec_.features;
  const int64_t A = spec_.actions, L = std::min<int64_t>(cfg_.window, T - 1), L0 = L / 2, H = cfg_.horizon;
  const auto lopt = torch::TensorOptions().dtype(torch::kInt64).device(device_);
  // Start cells (t0, e) with t0 >= L/2 (at least L/2 slots of history). The
  // GRU states of a chunk of envs are held at once: chunks keep them within
  // the state budget (one chunk for CPU-sized runs), and each chunk expands its share
  // of the cells, so that no count has to be read back from the device.
  const int64_t pairs = (T - L0) * E;
  const int64_t M = cfg_.mve_cells > 0 ? std::min<int64_t>(cfg_.mve_cells, pairs) : pairs;
  const int64_t K = std::min<int64_t>(cfg_.imagine_cells, M);
  const int64_t chunk = std::clamp<int64_t>(state_budget_ / (cfg_.hidden * T * U), 1, E);
  const auto w = gate_;
  // Each chunk's imagined samples, [H, Kc, ...]; joined along the cells at the end.
  std::vector<torch::Tensor> obs_c, act_c, a_c, logp_c, v_c, adv_c, mask_c;
  for (int64_t e0 = 0, m_done = 0, k_done = 0; e0 < E; e0 += chunk) {
    const int64_t n = std::min(chunk, E - e0), last = e0 + n == E;
    // This chunk's share of the M expanded and K imagined cells (the rest go to the last chunk).
    const int64_t Mc = last ? M - m_done : M * (e0 + n) / E - m_done;
    const int64_t Kc = last ? K - k_done : K * (e0 + n) / E - k_done;
    m_done += Mc;
    k_done += Kc;
    if (Mc == 0) continue;
    const auto pick = torch::randperm((T - L0) * n, lopt).narrow(0, 0, Mc);  // first Kc: imagined samples too
    const auto t0 = L0 + torch::div(pick, n, "floor"), el = pick.remainder(n), e = el + e0;
    auto h = history_states(ro, policy, e0, n, L).index({t0, el}).reshape({Mc * U, cfg_.hidden});
    // Imagine H steps with the current policy.
    auto s = ro.obs.index({t0, e});                   // [Mc, U, F] raw
    auto active = ro.active.index({t0, e});           // [Mc, U]
    const auto mask = ro.action_mask.index({t0, e});  // [Mc, U, A]
    std::vector<torch::Tensor> r_mc, c_mc;                        // [Mc, Uv, heads], [Mc, 1, 1] per step
    std::vector<torch::Tensor> obs_k, act_k, a_k, logp_k, v_k;  // the first Kc cells, per step
    for (int64_t k = 0; k < H; ++k) {
      const auto logits = policy->dist_logits(s, mask);
      const auto a = sample_actions(logits) * active.to(torch::kInt64);
      if (Kc > 0) {
        obs_k.push_back(s.narrow(0, 0, Kc)); act_k.push_back(active.narrow(0, 0, Kc)); a_k.push_back(a.narrow(0, 0, Kc));
        logp_k.push_back(log_prob_of(logits.narrow(0, 0, Kc), a.narrow(0, 0, Kc)));
        v_k.push_back(policy->values(s.narrow(0, 0, Kc)));
      }
      const auto onehot = one_hot_f(a, A) * active.unsqueeze(-1).to(s.dtype());
      const auto joint = onehot.narrow(-1, 1, std::max<int64_t>(A - 1, 1)).mean(1, true).expand({Mc, U, -1});
      const auto s_n = policy->norm(s);
      h = model_->step(torch::cat({s_n, onehot, A > 1 ? joint : torch::zeros({Mc, U, 1}, s.options())}, -1)
                           .reshape({Mc * U, -1}),
                       h);
      const auto next_n = s_n + model_->delta_head(h).reshape({Mc, U, F});
      auto rhat = model_->reward_head(h).reshape({Mc, U, heads_});
      if (value_users_ == 1) rhat = rhat.mean(1, true);  // the team reward, as every user predicts it
      if (learns_raw_rewards()) rhat = scaler_->apply(rhat);  // into the scale of this rollout's streams and critic
      r_mc.push_back(rhat);
      c_mc.push_back(torch::sigmoid(model_->cont_head(h)).reshape({Mc, U}).mean(1).reshape({Mc, 1, 1}));
      active = torch::sigmoid(model_->active_head(h)).reshape({Mc, U}) > 0.5;
      s = spec_.norm_obs  // back to raw features, as the policy reads them
              ? next_n * (policy->obs_rms->var + 1e-8).sqrt().to(s.dtype()) + policy->obs_rms->mean.to(s.dtype())
              : next_n;
    }
    // The MVE target of each start cell: the lambda = 1 return over the
    // horizon, continuation-weighted, bootstrapped from the critic.
    const auto v_last = policy->values(s);
    auto ret_mve = v_last;
    for (int64_t k = H - 1; k >= 0; --k) ret_mve = r_mc[k] + gamma * c_mc[k] * ret_mve;
    // Critic target: V_gae + beta w (V_mve - V_gae). A diverged model (w = 0)
    // must not poison the real targets: NaN never reaches them.
    const auto old = returns.index({t0, e});
    const auto blended = old + torch::nan_to_num(cfg_.mve_beta * w * (ret_mve - old), 0.0, 0.0, 0.0);
    returns.index_put_({t0, e}, torch::where(w > 0, blended, old));
    if (Kc == 0) continue;
    // Lambda-returns of the imagined samples over the horizon (continuation-weighted).
    auto v_next = v_last.narrow(0, 0, Kc), adv = torch::zeros_like(v_next);
    std::vector<torch::Tensor> adv_k(H);
    for (int64_t k = H - 1; k >= 0; --k) {
      const auto r = r_mc[k].narrow(0, 0, Kc), c = c_mc[k].narrow(0, 0, Kc);
      adv = r + gamma * c * v_next - v_k[k] + gamma * lambda * c * adv;
      adv_k[k] = adv;
      v_next = v_k[k];
    }
    obs_c.push_back(torch::stack(obs_k)); act_c.push_back(torch::stack(act_k)); a_c.push_back(torch::stack(a_k));
    logp_c.push_back(torch::stack(logp_k)); v_c.push_back(torch::stack(v_k)); adv_c.push_back(torch::stack(adv_k));
    mask_c.push_back(mask.narrow(0, 0, Kc).unsqueeze(0).expand({H, Kc, U, A}));
  }
  out.mve_cells = M;
  out.start_cells = K;
  if (K == 0) return out;
  const auto cells = [](const std::vector<torch::Tensor>& v) { return torch::cat(v, 1); };  // [H, K, ...]
  // Imagined samples enter the loss weighted by the model's weight; with it
  // at 0 they must still be finite (0 * NaN is NaN): sanitised here.
  const auto advs = torch::nan_to_num(cells(adv_c), 0.0, 0.0, 0.0);  // [H, K, Uv, heads]
  out.valid = true;
  out.obs = torch::nan_to_num(cells(obs_c).reshape({H * K, U, F}), 0.0, 0.0, 0.0);
  out.active = cells(act_c).reshape({H * K, U});
  out.action_mask = cells(mask_c).reshape({H * K, U, A});
  out.actions = cells(a_c).reshape({H * K, U});
  out.logp = cells(logp_c).reshape({H * K, U});
  out.values = torch::nan_to_num(cells(v_c), 0.0, 0.0, 0.0).reshape({H * K, value_users_, heads_});
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
  m["gate_open"] = (gate_ > 0).to(torch::kInt64);  // what checkpoints before wm.weighting held
  m["model_weight"] = gate_.clone();
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
  const char* weight = m.count("model_weight") ? "model_weight" : "gate_open";
  if (m.count(weight)) gate_.copy_(m.at(weight).to(gate_.device()).to(gate_.dtype()));
}

}  // namespace mecrl::agents
