// The observation and action descriptions an exported bundle carries
// (envs/space_doc.h, built from each scenario's features.h) against the
// simulators themselves: one row per feature and action of the env, unique
// names, config keys the scenario really reads, features documented as flags
// that are 0 or 1 in every observation of a rollout, and masking rules that
// match the env's action mask.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>

#include "core/config.h"
#include "envs/cartpole/cartpole.h"
#include "envs/cartpole/params_config.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"
#include "envs/space_doc.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl {
namespace {

struct Described {
  std::unique_ptr<VecEnv> env;
  SpaceDoc doc;
  std::set<std::string> keys;  // every key the scenario's reader resolved
};

struct Case {
  std::string name, config;
  std::vector<std::string> overrides;
  std::function<Described(ConfigReader&)> build;
};

Described offload_case(ConfigReader& r) {
  const offload::OffloadParams p = offload::read_offload_params(r);
  return {std::make_unique<ScenarioEnv<offload::OffloadScenario, CpuExec>>(p, 2, CpuExec{1}),
          offload::describe_spaces(p.num_servers), {}};
}
Described uncertainty_case(ConfigReader& r) {
  const uncertainty::UncertaintyParams p = uncertainty::read_uncertainty_params(r);
  return {std::make_unique<ScenarioEnv<uncertainty::UncertaintyScenario, CpuExec>>(p, 2, CpuExec{1}),
          uncertainty::describe_spaces(p.num_servers, p.join_view), {}};
}
Described cartpole_case(ConfigReader& r) {
  const cartpole::CartPoleParams p = cartpole::read_cartpole_params(r);
  return {std::make_unique<ScenarioEnv<cartpole::CartPoleScenario, CpuExec>>(p, 2, CpuExec{1}),
          cartpole::describe_spaces(), {}};
}

class SpaceDocs : public ::testing::TestWithParam<Case> {
 protected:
  Described build() {
    Config cfg = Config::load(std::string(MECRL_SOURCE_DIR "/configs/") + GetParam().config);
    cfg.override_with(GetParam().overrides);
    ConfigReader r(cfg);
    Described d = GetParam().build(r);
    for (const ResolvedKey& k : r.resolved()) d.keys.insert(k.key);
    return d;
  }
};

TEST_P(SpaceDocs, OneRowPerFeatureAndActionWithUniqueNames) {
  const Described d = build();
  const EnvDims& dims = d.env->dims();
  ASSERT_EQ(static_cast<int>(d.doc.features.size()), dims.features);
  ASSERT_EQ(static_cast<int>(d.doc.actions.size()), dims.actions);
  std::set<std::string> names;
  for (const FeatureRow& f : d.doc.features) {
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate feature name " << f.name;
    EXPECT_FALSE(f.unit.empty()) << f.name;
    EXPECT_FALSE(f.definition.empty()) << f.name;
  }
  std::set<std::string> actions;
  for (const ActionRow& a : d.doc.actions) EXPECT_TRUE(actions.insert(a.name).second) << a.name;
  EXPECT_FALSE(d.doc.rows.empty());
  EXPECT_FALSE(d.doc.masking.empty());
}

TEST_P(SpaceDocs, ConfigKeysAreKeysTheScenarioReads) {
  const Described d = build();
  for (const FeatureRow& f : d.doc.features) {
    for (const std::string& key : f.config_keys) EXPECT_TRUE(d.keys.count(key)) << f.name << ": " << key;
  }
}

TEST_P(SpaceDocs, FlagsAreZeroOrOneAndTheMaskFollowsTheMaskingRule) {
  Described d = build();
  const EnvDims& dims = d.env->dims();
  std::vector<int> flags;
  int must_offload = -1;
  for (size_t k = 0; k < d.doc.features.size(); ++k) {
    if (d.doc.features[k].unit == "flag") flags.push_back(static_cast<int>(k));
    if (d.doc.features[k].name == "must_offload") must_offload = static_cast<int>(k);
  }
  const bool masks = d.doc.masking.rfind("none", 0) != 0;
  EXPECT_EQ(masks, must_offload >= 0) << "a masking rule needs the feature that announces it";
  const std::string random = d.env->baseline_names().back() == "random" ? "random" : d.env->baseline_names().front();
  std::vector<int32_t> actions(static_cast<size_t>(dims.num_envs) * dims.users);
  d.env->reset_all();
  long seen_masked = 0;
  for (int step = 0; step < 300; ++step) {
    const StepBuffers& b = d.env->buffers();
    for (int64_t r = 0; r < int64_t{dims.num_envs} * dims.users; ++r) {
      const float* o = b.obs + r * dims.features;
      for (int k : flags) ASSERT_TRUE(o[k] == 0.f || o[k] == 1.f) << d.doc.features[k].name << " = " << o[k];
      for (int a = 0; a < dims.actions; ++a) {
        const bool allowed = b.action_mask[r * dims.actions + a] != 0;
        const bool forbidden_by_rule = must_offload >= 0 && a == 0 && o[must_offload] == 1.f;
        ASSERT_EQ(allowed, !forbidden_by_rule) << "row " << r << " action " << a;
        seen_masked += allowed ? 0 : 1;
      }
    }
    d.env->act_baseline(random, actions.data());
    d.env->step(actions.data());
  }
  if (masks) {
    EXPECT_GT(seen_masked, 0) << "the rollout never exercised the masking rule";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, SpaceDocs,
    ::testing::Values(Case{"offload_1_server", "offload.yaml", {"env.num_users=12"}, offload_case},
                      Case{"offload_3_servers", "offload.yaml", {"env.num_users=12", "env.num_servers=3"}, offload_case},
                      Case{"uncertainty_1_server", "uncertainty.yaml", {"env.num_users=12", "env.num_servers=1"},
                           uncertainty_case},
                      Case{"uncertainty_4_servers", "uncertainty.yaml", {"env.num_users=12"}, uncertainty_case},
                      Case{"uncertainty_join_view", "uncertainty.yaml", {"env.num_users=12", "env.join_view=true"},
                           uncertainty_case},
                      Case{"cartpole", "cartpole.yaml", {}, cartpole_case}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace mecrl
