// PPO loss terms against values worked out by hand (clip 0.2).
#include <gtest/gtest.h>

#include <cmath>

#include "agents/policy.h"
#include "agents/ppo_loss.h"

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

}  // namespace
}  // namespace mecrl::agents
