// PPO loss terms against values worked out by hand (clip 0.2); imagined rows
// in the update weigh as rows of one batch.
#include <gtest/gtest.h>

#include <cmath>

#include "agents/agent_config.h"
#include "agents/policy.h"
#include "agents/ppo_loss.h"
#include "agents/ppo_update.h"

namespace mecrl::agents {
namespace {

// ratios 1.5, 0.9, 0.7 with advantages 1, -2, 3:
//   -A r        = -1.5, 1.8, -2.1
//   -A clip(r)  = -1.2, 1.8, -2.4     (clip to [0.8, 1.2])
//   max         = -1.2, 1.8, -2.1  -> mean -0.5
//   (r-1) - log r = 0.0945349, 0.0053605, 0.0566749 -> mean 0.0521901
//   clipped: |r - 1| > 0.2 for 1.5 and 0.7 -> 2/3
TEST(PpoLoss, ClippedSurrogateByHand) {
  const auto old_logp = torch::tensor({-1.f, -2.f, -0.5f});
  const auto new_logp = old_logp + torch::tensor({std::log(1.5f), std::log(0.9f), std::log(0.7f)});
  const auto adv = torch::tensor({1.f, -2.f, 3.f});
  const auto pl = clipped_policy_loss(new_logp, old_logp, adv, torch::ones({3}), 0.2);
  EXPECT_NEAR(pl.loss.item<float>(), -0.5f, 1e-5);
  EXPECT_NEAR(pl.approx_kl.item<float>(), 0.0521901f, 1e-5);
  EXPECT_NEAR(pl.clipfrac.item<float>(), 2.f / 3.f, 1e-6);
  // Masked entries do not count: only the first sample -> max(-1.5, -1.2) = -1.2.
  const auto masked = clipped_policy_loss(new_logp, old_logp, adv, torch::tensor({1.f, 0.f, 0.f}), 0.2);
  EXPECT_NEAR(masked.loss.item<float>(), -1.2f, 1e-5);
}

// v_new = (1, 3), v_old = (0.5, 2.9), R = (2, 2), clip 0.2:
//   unclipped (v - R)^2        = 1, 1
//   v_clip = (0.7, 3.0) -> sq  = 1.69, 1
//   0.5 * mean(max) = 0.5 * 1.345 = 0.6725; unclipped 0.5
TEST(PpoLoss, ValueLossByHand) {
  const auto v = torch::tensor({1.f, 3.f}), old = torch::tensor({0.5f, 2.9f}), ret = torch::tensor({2.f, 2.f});
  EXPECT_NEAR(value_loss(v, old, ret, torch::ones({2}), 0.2, true).item<float>(), 0.6725f, 1e-5);
  EXPECT_NEAR(value_loss(v, old, ret, torch::ones({2}), 0.2, false).item<float>(), 0.5f, 1e-6);
}

// (1, -2, 3): mean 2/3, unbiased std sqrt(19/3) = 2.5166115.
TEST(PpoLoss, AdvantageNormalisation) {
  const auto a = normalize_advantages(torch::tensor({1.f, -2.f, 3.f}), torch::ones({3}));
  const float sd = 2.5166115f;
  EXPECT_NEAR(a[0].item<float>(), (1 - 2.f / 3) / sd, 1e-5);
  EXPECT_NEAR(a[1].item<float>(), (-2 - 2.f / 3) / sd, 1e-5);
  EXPECT_NEAR(a[2].item<float>(), (3 - 2.f / 3) / sd, 1e-5);
}

TEST(PpoLoss, MaskedCategorical) {
  const auto logits = torch::tensor({{0.f, 0.f, 0.f, 0.f}});
  EXPECT_NEAR(entropy_of(logits).item<float>(), std::log(4.f), 1e-6);
  const auto mask = torch::tensor({{1, 0, 1, 0}}).to(torch::kBool);
  const auto masked = logits.masked_fill(mask.logical_not(), -1e8);
  EXPECT_NEAR(entropy_of(masked).item<float>(), std::log(2.f), 1e-6);
  const auto lp = log_prob_of(torch::tensor({{1.f, 2.f, 3.f}}), torch::tensor({2}, torch::kInt64));
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(lp.item<float>(), 3.0 - std::log(z), 1e-6);
  // Sampling never picks a masked action, and follows softmax frequencies.
  torch::manual_seed(3);
  const auto many = masked.expand({20000, 4});
  const auto a = sample_actions(many);
  EXPECT_EQ((a == 1).sum().item<int64_t>() + (a == 3).sum().item<int64_t>(), 0);
  EXPECT_NEAR((a == 0).to(torch::kFloat32).mean().item<float>(), 0.5f, 0.02f);
}

// The exploration floor pi = (1 - eps) softmax(z) + eps u, worked out in
// double from its definition: z = (1, 2, 3, 0.5) with action 3 forbidden,
// eps = 0.3, so u = 1/3 on actions 0..2 and 0 on action 3.
TEST(ExplorationFloor, MixtureByHand) {
  const double eps = 0.3;
  const double z[3] = {1.0, 2.0, 3.0};
  const double s = std::exp(z[0]) + std::exp(z[1]) + std::exp(z[2]);
  double p[3], h = 0;
  for (int k = 0; k < 3; ++k) {
    p[k] = (1 - eps) * std::exp(z[k]) / s + eps / 3;
    h -= p[k] * std::log(p[k]);
  }
  const auto allowed = torch::tensor({{1, 1, 1, 0}}).to(torch::kBool);
  const auto logits = torch::tensor({{1.f, 2.f, 3.f, 0.5f}}).masked_fill(allowed.logical_not(), -1e8);
  const auto d = floored_log_probs(logits, allowed, eps);
  for (int64_t a = 0; a < 3; ++a) {
    EXPECT_NEAR(log_prob_of(d, torch::tensor({a})).item<float>(), std::log(p[a]), 1e-6) << "action " << a;
  }
  EXPECT_LT(d[0][3].item<float>(), -1e7);  // forbidden stays forbidden
  EXPECT_NEAR(entropy_of(d).item<float>(), h, 1e-6);
  EXPECT_NEAR(torch::softmax(d, -1).sum().item<float>(), 1.f, 1e-6);
  // No mask: u = 1/4 everywhere.
  const auto free = floored_log_probs(torch::tensor({{1.f, 2.f, 3.f, 0.5f}}), {}, eps);
  const double s4 = s + std::exp(0.5);
  EXPECT_NEAR(log_prob_of(free, torch::tensor({int64_t{3}})).item<float>(),
              std::log((1 - eps) * std::exp(0.5) / s4 + eps / 4), 1e-6);
  // A row allowing nothing: softmax is uniform, and so is the mixture.
  const auto none = torch::zeros({1, 4}, torch::kBool);
  const auto all_masked = floored_log_probs(torch::full({1, 4}, -1e8f), none, eps);
  EXPECT_TRUE(torch::allclose(torch::softmax(all_masked, -1), torch::full({1, 4}, 0.25f)));
}

// Every allowed action keeps at least eps / A however peaked the logits,
// sampling follows the mixture, and the gradient stays finite.
TEST(ExplorationFloor, FloorHoldsAndSamplingFollowsIt) {
  const double eps = 0.3;
  torch::manual_seed(5);
  const auto logits = (torch::randn({256, 5}) * 40).requires_grad_();
  const auto allowed = torch::rand({256, 5}) < 0.7;
  const auto masked = logits.masked_fill(allowed.logical_not(), -1e8);
  const auto d = floored_log_probs(masked, allowed, eps);
  const auto probs = torch::softmax(d, -1);
  // A row that allows nothing falls back to all actions, as softmax does.
  const auto support = allowed.logical_or(allowed.logical_not().all(-1, true));
  const auto floor_ok = (probs >= eps / 5 - 1e-7).logical_or(support.logical_not());
  EXPECT_TRUE(floor_ok.all().item<bool>());
  EXPECT_TRUE(((probs < 1e-30).logical_or(support)).all().item<bool>()) << "a forbidden action got mass";
  (entropy_of(d).sum() + log_prob_of(d, torch::zeros({256}, torch::kInt64)).sum()).backward();
  EXPECT_TRUE(torch::isfinite(logits.grad()).all().item<bool>());
  // z = (-50, 0, 50): softmax puts ~1 on action 2; the mixture 0.1, 0.1, 0.8.
  const auto peaked = floored_log_probs(torch::tensor({{-50.f, 0.f, 50.f}}), {}, eps).expand({40000, 3});
  torch::manual_seed(7);
  const auto a = sample_actions(peaked);
  EXPECT_NEAR((a == 0).to(torch::kFloat32).mean().item<float>(), 0.1f, 0.01f);
  EXPECT_NEAR((a == 1).to(torch::kFloat32).mean().item<float>(), 0.1f, 0.01f);
}

// eps = 0 is today's policy bit for bit: dist_logits returns the logits.
TEST(ExplorationFloor, ZeroIsPlainSoftmax) {
  torch::manual_seed(11);
  PolicySpec spec{6, 4, 3, 1, 16, "user", false};
  ActorCritic policy(spec);
  const auto obs = torch::randn({32, 6});
  const auto mask = torch::rand({32, 4}) < 0.8;
  EXPECT_TRUE(torch::equal(policy->dist_logits(obs, mask), policy->logits(obs, mask)));
  policy->spec.exploration_floor = 0.2;
  const auto d = policy->dist_logits(obs, mask);
  EXPECT_TRUE(torch::allclose(d, floored_log_probs(policy->logits(obs, mask), mask, 0.2)));
  EXPECT_FALSE(torch::allclose(torch::softmax(d, -1), torch::softmax(policy->logits(obs, mask), -1)));
}

// The schedule: linear from the first to the final floor over the iterations.
TEST(ExplorationFloor, LinearSchedule) {
  TrainConfig t;
  t.exploration_floor = 0.2f;
  t.exploration_floor_final = 0.f;
  EXPECT_DOUBLE_EQ(exploration_floor_at(t, 0, 10), 0.2f);
  EXPECT_NEAR(exploration_floor_at(t, 5, 10), 0.1, 1e-8);
  EXPECT_DOUBLE_EQ(exploration_floor_at(t, 10, 10), 0.0);
  EXPECT_DOUBLE_EQ(exploration_floor_at(t, 12, 10), 0.0);
  t.exploration_floor_final = t.exploration_floor;
  EXPECT_DOUBLE_EQ(exploration_floor_at(t, 7, 10), 0.2f);
}


// Imagined rows "join the PPO batch with weight w" (spec agents.md §4): one
// update with them passed apart must move the parameters exactly as one over
// the concatenated batch in which each imagined row carries weight w (and a
// padding row 0). Plain SGD with lr 1 and no clipping, so the step is the
// gradient itself (Adam's first step would hide a scale error).
TEST(PpoUpdate, ImaginedRowsJoinTheBatchWithTheirWeight) {
  const int64_t F = 3, A = 2, U = 2;
  const PolicySpec spec{F, A, U, 1, 8, "user", false};
  auto make_policy = [&] {
    torch::manual_seed(7);
    return ActorCritic(spec);
  };
  torch::manual_seed(8);
  auto decisions = [&](int64_t R, const std::vector<float>& weight) {
    DecisionBatch b{torch::randn({R, F}), torch::ones({R, A}, torch::kBool), torch::randint(0, A, {R}, torch::kInt64),
                    -0.7f + 0.2f * torch::randn({R}), torch::randn({R}), torch::tensor(weight)};
    return b;
  };
  auto cells = [&](int64_t B) {
    return ValueBatch{torch::randn({B, U, F}), torch::randn({B, U, 1}), torch::randn({B, U, 1}), torch::Tensor()};
  };
  const DecisionBatch real = decisions(6, {1, 1, 1, 1, 0, 1}), imag = decisions(5, {1, 0, 1, 1, 1});
  const ValueBatch real_v = cells(4), imag_v = cells(3);
  const float w = 0.3f;
  PpoConfig p;
  p.num_minibatches = 1;
  p.update_epochs = 1;
  p.norm_adv = false;  // normalisation is per set of rows: not a property of one batch
  p.max_grad_norm = 1e9;
  p.value_sample = 1;

  ActorCritic apart = make_policy();
  torch::optim::SGD sgd_apart(apart->parameters(), torch::optim::SGDOptions(1.0));
  const WeightedData imagined{imag, imag_v, torch::tensor(w)};
  ppo_update(apart, sgd_apart, p, real, real_v, &imagined);

  ActorCritic joined = make_policy();
  torch::optim::SGD sgd_joined(joined->parameters(), torch::optim::SGDOptions(1.0));
  const DecisionBatch all{torch::cat({real.obs, imag.obs}), torch::cat({real.mask, imag.mask}),
                          torch::cat({real.actions, imag.actions}), torch::cat({real.logp, imag.logp}),
                          torch::cat({real.adv, imag.adv}), torch::cat({real.weight, w * imag.weight})};
  const ValueBatch all_v{torch::cat({real_v.obs, imag_v.obs}), torch::cat({real_v.values, imag_v.values}),
                         torch::cat({real_v.returns, imag_v.returns}),
                         torch::cat({torch::ones({4, U}), torch::full({3, U}, w)})};
  ppo_update(joined, sgd_joined, p, all, all_v, nullptr);

  const auto a = apart->parameters(), j = joined->parameters(), start = make_policy()->parameters();
  ASSERT_EQ(a.size(), j.size());
  bool moved = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::allclose(a[i], j[i], 1e-5, 1e-6)) << "parameter " << i;
    moved = moved || !torch::allclose(j[i], start[i]);
  }
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace mecrl::agents
