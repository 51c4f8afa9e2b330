#include "agents/ppo_update.h"

#include "agents/host_reads.h"
#include "agents/ppo_loss.h"

namespace mecrl::agents {

torch::Tensor clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return torch::zeros({});
  std::vector<torch::Tensor> norms;
  norms.reserve(grads.size());
  for (const auto& g : grads) norms.push_back(g.norm(2));
  const auto total = torch::stack(norms).norm(2);
  const auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coef);
  return total;
}

namespace {

// Slice k of n of a permutation (sizes differ by at most one).
torch::Tensor minibatch(const torch::Tensor& perm, int64_t k, int64_t n) {
  const int64_t size = perm.size(0), lo = size * k / n, hi = size * (k + 1) / n;
  return perm.narrow(0, lo, hi - lo);
}

DecisionBatch rows_of(const DecisionBatch& b, const torch::Tensor& idx) {
  return {b.obs.index_select(0, idx),  b.mask.index_select(0, idx), b.actions.index_select(0, idx),
          b.logp.index_select(0, idx), b.adv.index_select(0, idx),  b.weight.index_select(0, idx)};
}

ValueBatch rows_of(const ValueBatch& b, const torch::Tensor& idx) {
  return {b.obs.index_select(0, idx), b.values.index_select(0, idx), b.returns.index_select(0, idx),
          b.weight.defined() ? b.weight.index_select(0, idx) : torch::Tensor()};
}

struct ActorTerms {
  PolicyLoss pl;
  torch::Tensor entropy;
  torch::Tensor rows;  // [] the weight the means are over (decisions in the minibatch)
};

ActorTerms actor_terms(ActorCritic& policy, const PpoConfig& p, const DecisionBatch& b) {
  const auto logits = policy->dist_logits(b.obs, b.mask);  // the acting distribution (exploration floor)
  const auto new_logp = log_prob_of(logits, b.actions);
  const auto adv = p.norm_adv ? normalize_advantages(b.adv, b.weight) : b.adv;
  return {clipped_policy_loss(new_logp, b.logp, adv, b.weight, p.clip_coef), weighted_mean(entropy_of(logits), b.weight),
          b.weight.sum()};
}

struct CriticTerm {
  torch::Tensor loss;
  torch::Tensor rows;  // [] the weight the mean is over (users x heads of the minibatch's cells)
};

CriticTerm critic_term(ActorCritic& policy, const PpoConfig& p, const ValueBatch& b) {
  const auto v = policy->values(b.obs);
  const auto w = b.weight.defined() ? b.weight.unsqueeze(-1).expand_as(v) : torch::ones_like(v);
  return {value_loss(v, b.values, b.returns, w, p.clip_coef, p.clip_vloss), w.sum()};
}

// The mean over two sets of rows, given each set's mean and weight: how
// imagined rows join the real ones (either may be absent: undefined).
torch::Tensor joint_mean(const torch::Tensor& mean_a, const torch::Tensor& rows_a, const torch::Tensor& mean_b,
                         const torch::Tensor& rows_b) {
  if (!mean_a.defined()) return rows_b * mean_b / rows_b.clamp_min(1e-8);  // 0 for a zero weight
  return (rows_a * mean_a + rows_b * mean_b) / (rows_a + rows_b).clamp_min(1e-8);
}

}  // namespace

UpdateStats ppo_update(ActorCritic& policy, torch::optim::Optimizer& opt, const PpoConfig& p,
                       const DecisionBatch& actor, const ValueBatch& critic, const WeightedData* imagined,
                       Communicator* comm) {
  const auto params = policy->parameters();
  const auto fopt = critic.obs.options();
  const auto lopt = fopt.dtype(torch::kInt64);
  const int64_t nmb = p.num_minibatches;
  auto zero = [&] { return torch::zeros({}, fopt); };
  UpdateStats s{zero(), zero(), zero(), zero(), zero(), zero(), zero(), zero()};
  int64_t steps = 0;
  for (int epoch = 0; epoch < p.update_epochs; ++epoch) {
    const auto perm_a = torch::randperm(actor.rows(), lopt), perm_c = torch::randperm(critic.rows(), lopt);
    torch::Tensor perm_ia, perm_ic;
    if (imagined) {
      perm_ia = torch::randperm(imagined->actor.rows(), lopt);
      perm_ic = torch::randperm(imagined->critic.rows(), lopt);
    }
    torch::Tensor epoch_kl;
    for (int64_t k = 0; k < nmb; ++k) {
      // Imagined rows join the minibatch's real rows, each weighing
      // imagined->weight (w_im times the model's weight) where a real row
      // weighs 1: spec agents.md §4 adds them "to the PPO batch with weight
      // w_im". (Until issue 16 each set was averaged apart and the imagined
      // mean added at 0.5: an imagined decision weighed ~30x a real one at
      // N = 100, and the critic drifted off the real returns.)
      torch::Tensor actor_loss, actor_rows;
      const auto ia = minibatch(perm_a, k, nmb);
      if (ia.size(0) > 0) {
        const ActorTerms a = actor_terms(policy, p, rows_of(actor, ia));
        actor_loss = a.pl.loss - p.ent_coef * a.entropy;
        actor_rows = a.rows;
        s.policy_loss += a.pl.loss.detach();
        s.entropy += a.entropy.detach();
        s.approx_kl += a.pl.approx_kl;
        s.old_approx_kl += a.pl.old_approx_kl;
        s.clipfrac += a.pl.clipfrac;
        epoch_kl = a.pl.approx_kl;
      }
      const auto ic_all = minibatch(perm_c, k, nmb);
      const int64_t sampled = std::max<int64_t>(1, static_cast<int64_t>(ic_all.size(0) * p.value_sample));
      const auto ic = ic_all.narrow(0, 0, sampled);
      const CriticTerm vl = critic_term(policy, p, rows_of(critic, ic));
      s.value_loss += vl.loss.detach();
      // The value_sample rows stand for the minibatch's real cells, all of them.
      const double sample_frac = ic_all.size(0) > 0 ? static_cast<double>(sampled) / ic_all.size(0) : 1.0;
      torch::Tensor critic_loss = vl.loss, critic_rows = vl.rows / sample_frac;
      if (imagined) {
        const auto iia = minibatch(perm_ia, k, nmb), iic = minibatch(perm_ic, k, nmb);
        if (iia.size(0) > 0) {
          const ActorTerms a = actor_terms(policy, p, rows_of(imagined->actor, iia));
          actor_loss = joint_mean(actor_loss, actor_rows, a.pl.loss - p.ent_coef * a.entropy, imagined->weight * a.rows);
        }
        if (iic.size(0) > 0) {
          const CriticTerm c = critic_term(policy, p, rows_of(imagined->critic, iic));
          critic_loss = joint_mean(critic_loss, critic_rows, c.loss, imagined->weight * c.rows);
        }
      }
      const torch::Tensor loss = actor_loss.defined() ? actor_loss + p.vf_coef * critic_loss : p.vf_coef * critic_loss;
      opt.zero_grad();
      loss.backward();
      if (comm) comm->average_gradients(params);
      const auto norm = clip_grad_norm(params, p.max_grad_norm);
      s.grad_norm += norm;
      s.grad_norm_max = torch::maximum(s.grad_norm_max, norm);
      opt.step();
      ++steps;
    }
    // Optional early stop on the KL of the epoch's last minibatch (a host read per epoch).
    // Ranks decide together (a rank without actor rows in that minibatch counts 0).
    const bool together = comm && comm->active();
    if (p.target_kl > 0 && (epoch_kl.defined() || together)) {
      const auto kl = together ? comm->mean(epoch_kl.defined() ? epoch_kl : zero()) : epoch_kl;
      if (to_host(kl, HostRead::EarlyStop).item<double>() > p.target_kl) break;
    }
  }
  const double inv = 1.0 / static_cast<double>(std::max<int64_t>(steps, 1));
  for (auto* t : {&s.policy_loss, &s.value_loss, &s.entropy, &s.approx_kl, &s.old_approx_kl, &s.clipfrac, &s.grad_norm}) {
    *t = *t * inv;
  }
  return s;
}

}  // namespace mecrl::agents
