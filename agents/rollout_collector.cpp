#include "agents/rollout_collector.h"

#include <chrono>

#include "agents/compaction.h"
#include "agents/host_reads.h"
#include "agents/torch_cuda.h"

namespace mecrl::agents {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Rows per critic call: bounds the activations of one call (~1M rows).
constexpr int64_t kCriticRows = 1 << 20;

}  // namespace

void RolloutTally::zero_() {
  for (auto* t : {&episodes, &return_sum, &length_sum, &cost_sums, &info_sums, &decisions, &max_deciders, &dropped,
                  &max_truncated, &reward_sum}) {
    t->zero_();
  }
}

RolloutCollector::RolloutCollector(VecEnv& env, const AgentConfig& cfg, int64_t value_users, int64_t heads)
    : env_(env), cfg_(cfg), et_(wrap_env(env)), dims_(env.dims()), Uv_(value_users), K_(heads) {
  const auto dev = et_.device;
  const auto l = torch::TensorOptions().dtype(torch::kInt64).device(dev);
  const auto d = torch::TensorOptions().dtype(torch::kFloat64).device(dev);
  const int64_t E = dims_.num_envs, U = dims_.users;
  actions_ext_ = torch::zeros({E * U + 1}, l);
  actions_i32_ = torch::zeros({E, U}, l.dtype(torch::kInt32));
  classes_ = torch::arange(dims_.actions, l);
  ep_step_ = torch::zeros({E}, l);
  tally_.episodes = torch::zeros({}, d);
  tally_.return_sum = torch::zeros({}, d);
  tally_.length_sum = torch::zeros({}, d);
  tally_.cost_sums = torch::zeros({dims_.costs}, d);
  tally_.info_sums = torch::zeros({dims_.info}, d);
  tally_.decisions = torch::zeros({}, d);
  tally_.max_deciders = torch::zeros({}, l);
  tally_.dropped = torch::zeros({}, l);
  tally_.max_truncated = torch::zeros({}, l);
  tally_.reward_sum = torch::zeros({}, d);
}

torch::Tensor RolloutCollector::reward_streams() const {
  const int64_t E = dims_.num_envs, U = dims_.users;
  const auto& p = cfg_.ppo;
  torch::Tensor r;
  if (Uv_ == 1) {
    r = et_.reward.reshape({E, 1});
  } else if (p.reward == "own") {
    r = et_.reward_user;
  } else if (p.reward == "mix") {
    r = (1 - p.reward_mix) * et_.reward_user + p.reward_mix * et_.reward.unsqueeze(1);
  } else {
    r = et_.reward.unsqueeze(1).expand({E, U});
  }
  r = r.unsqueeze(-1);  // [E, Uv, 1]
  if (K_ == 1) return r.contiguous();
  // Cost streams follow the reward's mode: a user's own cost share, the
  // cell's mean, or the mix.
  const auto team = et_.costs.unsqueeze(1).expand({E, Uv_, dims_.costs});
  torch::Tensor c = team;
  if (Uv_ > 1 && p.reward == "own") c = et_.costs_user;
  if (Uv_ > 1 && p.reward == "mix") c = (1 - p.reward_mix) * et_.costs_user + p.reward_mix * team;
  return torch::cat({r, c}, -1);
}

void RolloutCollector::collect(ActorCritic& policy, ReturnScaler& scaler, Rollout& ro, bool profile) {
  torch::NoGradGuard no_grad;
  const int64_t T = ro.steps(), E = dims_.num_envs, U = dims_.users, F = dims_.features, A = dims_.actions;
  const int64_t R = E * U, D = ro.decision_capacity();
  const auto dev = et_.device;
  // Phase timings need the device idle at each boundary: only when profiling.
  auto clock = [&] {
    if (profile) device_sync(dev, HostRead::Profile);
    return now_s();
  };
  env_.set_stream(current_stream(dev));
  for (int64_t t = 0; t < T; ++t) {
    const double t0 = profile ? clock() : 0;
    const auto obs = et_.obs;
    ro.obs[t].copy_(obs);
    ro.active[t].copy_(et_.active);
    ro.action_mask[t].copy_(et_.action_mask);

    // ---- actor on the deciding users only (compacted to D rows)
    const Compacted dec = compact(ro.active[t].reshape({R}), D);
    const auto rows = dec.index.clamp_max(R - 1);  // padding reads a real row; its result is dropped
    const auto logits = policy->dist_logits(obs.reshape({R, F}).index_select(0, rows),
                                            ro.action_mask[t].reshape({R, A}).index_select(0, rows));  // [D, A]
    // Uniforms for every user, not only the deciders: the sample of a user
    // does not depend on the capacity (or on who else decides).
    const auto u = (world_ == 1 ? torch::rand({R, A}, obs.options())
                                : torch::rand({world_ * R, A}, obs.options()).narrow(0, rank_ * R, R))
                       .index_select(0, rows);
    const auto picked = gumbel_argmax(logits, u);  // [D]
    ro.dec_rows[t].copy_(dec.index);
    ro.dec_valid[t].copy_(dec.valid);
    ro.dec_actions[t].copy_(picked);
    ro.dec_logp[t].copy_(log_prob_of(logits, picked));
    actions_ext_.zero_();
    actions_ext_.index_copy_(0, dec.index, picked);  // padding lands on the extra last entry
    const auto a = actions_ext_.narrow(0, 0, R).reshape({E, U});
    ro.actions[t].copy_(a);
    tally_.max_deciders.copy_(torch::maximum(tally_.max_deciders, dec.count));
    tally_.dropped += (dec.count - D).clamp_min(0);
    if (A > 1) {
      const auto onehot = (a.unsqueeze(-1) == classes_).to(torch::kFloat32) * ro.active[t].unsqueeze(-1);
      ro.joint[t].copy_(onehot.narrow(-1, 1, A - 1).mean(1));
    }
    actions_i32_.copy_(a);

    // ---- env step
    const double t1 = profile ? clock() : 0;
    env_.step(actions_i32_.data_ptr<int32_t>());
    if (profile) {
      const double t2 = clock();
      t_infer_ += t1 - t0;
      t_env_ += t2 - t1;
    }

    // ---- storage
    const auto term = et_.terminated.to(torch::kBool), trunc = et_.truncated.to(torch::kBool);
    const auto done = term.logical_or(trunc);
    auto streams = reward_streams();
    if (ro.raw_rewards.defined()) ro.raw_rewards[t].copy_(streams);
    tally_.reward_sum += streams.select(-1, 0).sum(torch::kFloat64);  // in the env's units, as CleanRL logs
    if (cfg_.ppo.norm_reward) {
      streams = scaler->scale(streams.reshape({E * Uv_, K_}), done.repeat_interleave(Uv_)).reshape({E, Uv_, K_});
    }
    ro.rewards[t].copy_(streams);
    ro.raw_costs[t].copy_(et_.costs);
    ro.terminated[t].copy_(term);
    ro.truncated[t].copy_(trunc);
    ep_step_ += 1;
    ro.warm[t].copy_(ep_step_ > cfg_.lag.warmup_steps);
    ep_step_.masked_fill_(done, 0);
    ro.next_active[t].copy_(et_.active);
    ro.next_obs[t].copy_(torch::where(done.reshape({E, 1, 1}), et_.final_obs, et_.obs));

    // ---- episode statistics of the envs that finished
    const auto d = done.to(torch::kFloat64);
    tally_.episodes += d.sum();
    tally_.return_sum += (et_.ep_return.to(torch::kFloat64) * d).sum();
    tally_.length_sum += (et_.ep_length.to(torch::kFloat64) * d).sum();
    if (dims_.costs) tally_.cost_sums += (et_.ep_costs.to(torch::kFloat64) * d.unsqueeze(1)).sum(0);
    if (dims_.info) tally_.info_sums += (et_.ep_info.to(torch::kFloat64) * d.unsqueeze(1)).sum(0);
    tally_.decisions += et_.decisions.to(torch::kFloat64).sum();
  }
}

torch::Tensor RolloutCollector::critic_pass(ActorCritic& policy, Rollout& ro, int64_t trunc_capacity) {
  torch::NoGradGuard no_grad;
  const int64_t T = ro.steps(), E = dims_.num_envs, U = dims_.users, F = dims_.features;
  // V(obs) of every (slot, cell), a few slots per call.
  const int64_t chunk = std::max<int64_t>(1, kCriticRows / std::max<int64_t>(1, E * U));
  for (int64_t t = 0; t < T; t += chunk) {
    const int64_t n = std::min(chunk, T - t);
    ro.values.narrow(0, t, n).copy_(policy->values(ro.obs.narrow(0, t, n).reshape({n * E, U, F})).reshape({n, E, Uv_, K_}));
  }
  // V(final obs) of the truncated cells: compacted, then scattered back.
  const Compacted tr = compact(ro.truncated.reshape({T * E}), trunc_capacity);
  tally_.max_truncated.copy_(tr.count);
  const auto cells = ro.next_obs.reshape({T * E, U, F}).index_select(0, tr.index.clamp_max(T * E - 1));
  auto ext = torch::zeros({T * E + 1, Uv_, K_}, ro.values.options());
  ext.index_copy_(0, tr.index, policy->values(cells));
  ro.trunc_values.copy_(ext.narrow(0, 0, T * E).reshape({T, E, Uv_, K_}));
  return policy->values(et_.obs);
}

}  // namespace mecrl::agents
