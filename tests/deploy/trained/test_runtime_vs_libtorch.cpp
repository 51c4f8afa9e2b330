// The deployment runtime, through its C ABI, against LibTorch's forward of
// the same trained actor (tests/tools/policy_reference.cpp): 10k random and
// 10k recorded observations per bundle, one bundle per learner and scenario.
// Probabilities agree within 1e-6; greedy actions are identical wherever the
// two best logits are more than a rounding error apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "core/safetensors.h"
#include "deploy/mecrl_policy.h"
#include "deploy/trained/bundle_index.h"

namespace mecrl {
namespace {

TEST(TrainedBundles, IndexListsEveryLearnerAndScenario) {
  std::vector<std::string> names;
  for (const auto& b : testing::trained_bundles()) names.push_back(b.name);
  EXPECT_EQ(names, (std::vector<std::string>{"offload_ppo_lag", "offload_wm_ppo", "uncertainty_ppo", "cartpole_ppo",
                                               "uncertainty_floor"}));
}

TEST(TrainedBundles, RuntimeEqualsLibTorchWithin1e6) {
  for (const auto& b : testing::trained_bundles()) {
    SCOPED_TRACE(b.name);
    std::unique_ptr<mecrl_policy, void (*)(mecrl_policy*)> p(mecrl_policy_load(b.bundle.c_str()), mecrl_policy_free);
    ASSERT_TRUE(p) << mecrl_policy_last_error();
    EXPECT_EQ(b.name.substr(0, b.name.find('_')), mecrl_policy_scenario(p.get()));
    const SafetensorsFile ref = read_safetensors(b.reference);
    const int64_t f = mecrl_policy_features(p.get()), a = mecrl_policy_actions(p.get());
    for (const std::string set : {"random", "recorded"}) {
      SCOPED_TRACE(set);
      const std::vector<float> obs = tensor_values<float>(ref.tensors.at(set + ".obs"));
      const std::vector<uint8_t> mask = tensor_values<uint8_t>(ref.tensors.at(set + ".mask"));
      const std::vector<float> want_probs = tensor_values<float>(ref.tensors.at(set + ".probs"));
      const std::vector<float> logits = tensor_values<float>(ref.tensors.at(set + ".logits"));
      const std::vector<int64_t> want_actions = tensor_values<int64_t>(ref.tensors.at(set + ".actions"));
      const auto n = static_cast<int64_t>(want_actions.size());
      ASSERT_EQ(n, 10000);
      ASSERT_EQ(static_cast<int64_t>(obs.size()), n * f);
      std::vector<float> probs(static_cast<size_t>(n * a));
      std::vector<int32_t> actions(static_cast<size_t>(n));
      ASSERT_EQ(mecrl_policy_act(p.get(), obs.data(), mask.data(), n, actions.data(), probs.data()), 0)
          << mecrl_policy_last_error();
      double worst = 0;
      for (size_t k = 0; k < probs.size(); ++k) worst = std::max(worst, std::abs(double(probs[k]) - want_probs[k]));
      EXPECT_LE(worst, 1e-6);
      long differ = 0, near_ties = 0;
      for (int64_t r = 0; r < n; ++r) {
        std::vector<float> z(logits.begin() + r * a, logits.begin() + (r + 1) * a);
        std::partial_sort(z.begin(), z.begin() + 2, z.end(), std::greater<float>());
        // Two allowed actions within rounding of each other may order either
        // way; exact ties of forbidden actions (-1e8 each) both resolve to the
        // first index and must agree.
        const bool tie = a > 1 && z[0] - z[1] <= 1e-5f && z[0] > -1e7f;
        near_ties += tie ? 1 : 0;
        if (!tie && actions[r] != want_actions[r]) ++differ;
      }
      EXPECT_EQ(differ, 0) << "greedy actions differ from LibTorch's";
      EXPECT_LE(near_ties, n / 100) << "too many near ties for the action check to mean much";
      std::printf("%s/%s: max |p - p_torch| = %.2e over %lld rows; %ld near ties\n", b.name.c_str(), set.c_str(),
                  worst, static_cast<long long>(n), near_ties);
    }
  }
}

}  // namespace
}  // namespace mecrl
