// The trade-off that makes the problem worth learning (issue 2), measured
// with the eval protocol (2400 slots, first 480 excluded) over 32 episodes;
// every margin is asserted to be many standard errors wide.
#include <gtest/gtest.h>

#include "envs/offload/evaluate.h"
#include "offload_test_util.h"

namespace mecrl::offload {
namespace {

using testing::params_with;

Report eval(const std::string& policy, int users) {
  EvalSettings s;
  s.episodes = 32;
  return evaluate(params_with({"env.num_users=" + std::to_string(users)}), s, policy, baseline_policy(policy));
}

double se(const Report& r, const char* key) { return r.find(key)->se; }

TEST(OffloadTradeoff, LocalViolatesEnergyAndAccuracy) {
  const Report r = eval("local", 100);
  // Energy: the mean cost is positive by > 10 standard errors.
  EXPECT_GT(r.value("cost_energy"), 10 * se(r, "cost_energy"));
  EXPECT_GT(r.value("device_power_w"), 1.0 + 10 * se(r, "device_power_w"));
  // Accuracy: ~0.59 against A_min = 0.65; with ~50k completions the binomial
  // standard error is ~0.002, so a 0.03 margin is > 10 of them.
  EXPECT_LT(r.value("accuracy"), 0.65 - 0.03);
  EXPECT_GT(r.value("cost_accuracy"), 10 * se(r, "cost_accuracy"));
}

TEST(OffloadTradeoff, OffloadMeetsConstraintsButSaturates) {
  const Report r25 = eval("offload", 25), r200 = eval("offload", 200);
  for (const Report* r : {&r25, &r200}) {
    EXPECT_LT(r->value("cost_energy"), -10 * se(*r, "cost_energy"));
    EXPECT_LT(r->value("cost_accuracy"), -5 * se(*r, "cost_accuracy"));
    EXPECT_LT(r->value("cost_hallucination"), -3 * se(*r, "cost_hallucination"));
    EXPECT_EQ(r->value("satisfied_all"), 1.0);
  }
  // Latency grows steeply: the L4's KV-limited batch (B_max = 24) saturates.
  const double l25 = r25.value("latency_mean_s"), l200 = r200.value("latency_mean_s");
  EXPECT_GT(l200, 5 * l25) << l25 << " s -> " << l200 << " s";
  EXPECT_GT(l200 - 5 * l25, 10 * (se(r200, "latency_mean_s") + 5 * se(r25, "latency_mean_s")));
  EXPECT_GT(r200.value("server_utilisation"), 0.99);
}

TEST(OffloadTradeoff, GreedyBeatsOffloadAtN100) {
  const Report g = eval("greedy", 100), o = eval("offload", 100);
  const double gap = o.value("latency_mean_s") - g.value("latency_mean_s");
  EXPECT_GT(gap, 10 * (se(g, "latency_mean_s") + se(o, "latency_mean_s")))
      << "greedy " << g.value("latency_mean_s") << " s, offload " << o.value("latency_mean_s") << " s";
}

}  // namespace
}  // namespace mecrl::offload
