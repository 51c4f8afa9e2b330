// `mecrl eval` of an exported bundle (through the C runtime) equals `mecrl
// eval` of its checkpoint (through LibTorch): with greedy decisions equal the
// episodes are the same, so every metric agrees to float tolerance.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "deploy/trained/bundle_index.h"
#include "run_command.h"

namespace mecrl {
namespace {

// Short evaluations: the same protocol for both policies is all this needs.
std::vector<std::string> eval_args(const testing::TrainedBundle& b, const std::string& policy) {
  std::vector<std::string> args = {MECRL_BINARY, "eval", "--config", b.config, "--policy", policy, "--json"};
  if (b.name.rfind("offload", 0) == 0) {
    for (const char* o : {"--episodes", "2", "eval.slots=600", "eval.warmup_slots=100"}) args.push_back(o);
  } else if (b.name.rfind("uncertainty", 0) == 0) {
    for (const char* o : {"--episodes", "40"}) args.push_back(o);
  } else {
    for (const char* o : {"--episodes", "4"}) args.push_back(o);
  }
  return args;
}

TEST(TrainedBundles, EvalOfTheBundleEqualsEvalOfTheCheckpoint) {
  for (const auto& b : testing::trained_bundles()) {
    SCOPED_TRACE(b.name);
    const auto ckpt = testing::run_command(eval_args(b, b.checkpoint));
    const auto bundle = testing::run_command(eval_args(b, b.bundle));
    ASSERT_EQ(ckpt.status, 0) << ckpt.err;
    ASSERT_EQ(bundle.status, 0) << bundle.err;
    const auto a = nlohmann::json::parse(ckpt.out), c = nlohmann::json::parse(bundle.out);
    for (const char* part : {"metrics", "se"}) {
      ASSERT_EQ(a[part].size(), c[part].size()) << part;
      for (const auto& [key, value] : a[part].items()) {
        if (key == "solver_ms") continue;  // wall time of the decisions: LibTorch vs the C runtime
        ASSERT_TRUE(c[part].contains(key)) << part << "." << key;
        if (value.is_null()) {
          EXPECT_TRUE(c[part][key].is_null()) << part << "." << key;
          continue;
        }
        const double x = value.get<double>(), y = c[part][key].get<double>();
        EXPECT_NEAR(x, y, 1e-9 * std::max(1.0, std::abs(x))) << part << "." << key;
      }
    }
    EXPECT_FALSE(a["metrics"].empty());
  }
}

// eval.deterministic=false samples from the bundle's probabilities (Philox
// keyed by the run seed): the same command gives the same episodes, and
// they differ from the greedy ones.
TEST(TrainedBundles, SampledEvalOfABundleIsReproducibleAndNotGreedy) {
  for (const auto& b : testing::trained_bundles()) {
    if (b.name != "uncertainty_ppo") continue;
    auto args = eval_args(b, b.bundle);
    const auto greedy = testing::run_command(args);
    args.push_back("eval.deterministic=false");
    const auto first = testing::run_command(args), second = testing::run_command(args);
    ASSERT_EQ(first.status, 0) << first.err;
    auto metrics = [](const std::string& out) {
      auto m = nlohmann::json::parse(out)["metrics"];
      m.erase("solver_ms");
      return m;
    };
    EXPECT_EQ(metrics(first.out), metrics(second.out));
    EXPECT_NE(metrics(first.out)["offload_fraction"], metrics(greedy.out)["offload_fraction"]);
    return;
  }
  FAIL() << "no uncertainty bundle";
}

}  // namespace
}  // namespace mecrl
