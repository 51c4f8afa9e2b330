// The join view (env.join_view): a proposal pass, then the decision that
// counts, whose observation shows the load the proposals imply. Checked
// against the one-pass env (same snapshots, same outcomes) and against the
// spec's formulas evaluated by brute force in double precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "envs/uncertainty/evaluate.h"
#include "envs/uncertainty/validate_state.h"
#include "uncertainty_test_util.h"

namespace mecrl::uncertainty {
namespace {

using testing::CpuEnv;
using testing::params_with;

// Row i of env e's observation.
const float* row(const CpuEnv& env, int e, int i) {
  const EnvDims& d = env.dims();
  return env.buffers().obs + (static_cast<size_t>(e) * d.users + i) * d.features;
}

TEST(UncertaintyJoinView, AddsOneBlockAfterTheServerFeatures) {
  const UncertaintyParams off = params_with({"env.num_users=7", "env.num_servers=3"});
  const UncertaintyParams on = params_with({"env.num_users=7", "env.num_servers=3", "env.join_view=true"});
  EXPECT_EQ(CpuEnv(off, 1, CpuExec{1}).dims().features, 9 + 5 * 3);          // the spec's row, unchanged
  EXPECT_EQ(CpuEnv(on, 1, CpuExec{1}).dims().features, 9 + 5 * 3 + 1 + 3 * 3);  // + pass flag, 3 per server
}

// The proposal pass changes nothing the snapshot reports: with the same final
// decisions the join-view env gives the one-pass env's rewards, costs,
// episode statistics and per-user outcomes, and the same next snapshots.
TEST(UncertaintyJoinView, DecisionScoresLikeTheOnePassEnv) {
  const int E = 4, N = 20, M = 4;
  const UncertaintyParams p1 = params_with({"env.num_users=20", "seed=3"});
  const UncertaintyParams p2 = params_with({"env.num_users=20", "seed=3", "env.join_view=true"});
  CpuEnv one(p1, E, CpuExec{1}, true), two(p2, E, CpuExec{1}, true);
  const int f1 = one.dims().features, f2 = two.dims().features;
  ASSERT_EQ(f2, f1 + 1 + 3 * M);
  std::vector<int32_t> final_act(E * N), proposal(E * N);
  for (int snap = 0; snap < 3; ++snap) {
    for (int e = 0; e < E; ++e) {
      for (int i = 0; i < N; ++i) {
        EXPECT_TRUE(std::equal(row(one, e, i), row(one, e, i) + f1, row(two, e, i)));  // same snapshot
        EXPECT_EQ(row(two, e, i)[f1 + kJProposalPass], 1.f);
      }
    }
    one.act_baseline("goa", final_act.data());
    for (int k = 0; k < E * N; ++k) proposal[k] = (k * 7 + snap) % (M + 1);  // any proposals at all
    two.step(proposal.data());
    for (int e = 0; e < E; ++e) {
      EXPECT_EQ(two.buffers().terminated[e], 0);
      EXPECT_EQ(two.buffers().reward[e], 0.f);
      for (int i = 0; i < N; ++i) {
        EXPECT_TRUE(std::equal(row(one, e, i), row(one, e, i) + f1, row(two, e, i)));  // still that snapshot
        EXPECT_EQ(row(two, e, i)[f1 + kJProposalPass], 0.f);
      }
    }
    one.step(final_act.data());
    two.step(final_act.data());
    const StepBuffers &a = one.buffers(), &b = two.buffers();
    for (int e = 0; e < E; ++e) {
      EXPECT_EQ(b.terminated[e], 1);
      EXPECT_EQ(a.reward[e], b.reward[e]);
      EXPECT_EQ(a.costs[e], b.costs[e]);
      EXPECT_EQ(a.ep_return[e], b.ep_return[e]);
      EXPECT_EQ(a.ep_length[e], 1);
      EXPECT_EQ(b.ep_length[e], 2);
      for (int k = 0; k < kEpisodeInfo; ++k) EXPECT_EQ(a.ep_info[e * kEpisodeInfo + k], b.ep_info[e * kEpisodeInfo + k]);
    }
    for (int k = 0; k < E * N; ++k) {
      EXPECT_EQ(a.reward_user[k], b.reward_user[k]);
      EXPECT_EQ(one.events().delay_s[k], two.events().delay_s[k]);
      EXPECT_EQ(one.events().correct[k], two.events().correct[k]);
    }
  }
}

// The join block after a proposal pass, from the spec's formulas (§1) in
// double precision: user i moved to server j shares it with the users that
// proposed j (itself once), and hears every other user that proposed a
// server other than j at full power.
TEST(UncertaintyJoinView, FeaturesAreTheProposalsLoadByBruteForce) {
  const int N = 5, M = 3;
  const UncertaintyParams p = params_with({"env.num_users=5", "env.num_servers=3", "env.join_view=true",
                                           "env.tau=1.0"});
  testing::HandSnapshot h(p);
  const float gains[N][M] = {{1e-9f, 3e-10f, 2e-11f}, {4e-10f, 5e-9f, 1e-10f}, {2e-10f, 1e-10f, 7e-9f},
                             {6e-10f, 2e-9f, 3e-11f}, {1e-11f, 8e-10f, 9e-10f}};
  for (int i = 0; i < N; ++i) {
    h.user(i, 0.3f + 0.1f * i, 0.03f + 0.002f * i, 0.031f + 0.001f * i, 0.2f, 600.f + 100.f * i);
    for (int j = 0; j < M; ++j) h.gain(i, j, gains[i][j]);
  }
  const float flops[M] = {9e15f, 1.2e16f, 2e16f};
  for (int j = 0; j < M; ++j) h.server(j, flops[j]);
  const std::vector<int32_t> proposal = {2, 0, 2, 3, 1};  // 0 = local, j + 1 = server j
  h.env.step(proposal.data());
  const int base = join_offset(M);
  for (int i = 0; i < N; ++i) {
    const float* o = row(h.env, 0, i) + base;
    EXPECT_EQ(o[kJProposalPass], 0.f);
    for (int j = 0; j < M; ++j) {
      int proposers = 0;
      for (int k = 0; k < N; ++k) proposers += proposal[k] == j + 1 ? 1 : 0;
      const int sharers = proposers + (proposal[i] == j + 1 ? 0 : 1);
      double interference = 0;
      for (int k = 0; k < N; ++k) {
        if (k != i && proposal[k] > 0 && proposal[k] != j + 1) interference += double(p.tx_power_w) * gains[k][j];
      }
      const double sinr = double(p.tx_power_w) * gains[i][j] / (interference + double(p.noise_w_per_hz) * p.bandwidth_hz);
      const double rate = double(p.bandwidth_hz) / sharers * std::log2(1 + sinr);
      const double share = std::min(double(p.server_cap_flops), double(flops[j]) / sharers);
      const double slm = 0.031 + 0.001 * i;
      const double delay = (600.0 + 100.0 * i) / rate + double(p.decision_llm_ratio) * slm / (share / p.ref_flops);
      const float* os = o + kJServerBase + kPerServerJoin * j;
      EXPECT_EQ(os[kJProposed], proposal[i] == j + 1 ? 1.f : 0.f) << i << " " << j;
      EXPECT_NEAR(os[kJShare], double(M) * proposers / N, 1e-6) << i << " " << j;
      EXPECT_NEAR(os[kJDelay], std::min(20.0 * delay, 10.0), 1e-4 * std::min(20.0 * delay, 10.0)) << i << " " << j;
    }
  }
}

// Baselines decide from the snapshot alone: the same report with or without
// the proposal pass.
TEST(UncertaintyJoinView, BaselinesEvaluateTheSameWithIt) {
  const UncertaintyParams off = params_with({"env.num_users=30"});
  const UncertaintyParams on = params_with({"env.num_users=30", "env.join_view=true"});
  const EvalSettings st{64, 1};
  for (const char* name : {"goa", "local", "edge"}) {
    const Report a = evaluate_uncertainty(off, st, name, baseline_policy(name));
    const Report b = evaluate_uncertainty(on, st, name, baseline_policy(name));
    for (const char* metric : {"delay_ms", "accuracy_pct", "offload_fraction", "mask_violations"}) {
      EXPECT_EQ(a.value(metric), b.value(metric)) << name << " " << metric;
    }
  }
}

// A saved state in the middle of a snapshot (pass 1) is one the join view
// reaches, and the one-pass dynamics never do.
TEST(UncertaintyJoinView, StateCheckKnowsThePass) {
  const UncertaintyParams on = params_with({"env.num_users=6", "env.join_view=true"});
  const UncertaintyParams off = params_with({"env.num_users=6"});
  CpuEnv env(on, 1, CpuExec{1});
  std::vector<int32_t> act(6, 1);
  env.step(act.data());
  EXPECT_EQ(env.state().pass[0], 1);
  EXPECT_EQ(check_uncertainty_state(on, env.state(), 0), "");
  EXPECT_NE(check_uncertainty_state(off, env.state(), 0).find("pass"), std::string::npos);
  env.step(act.data());
  EXPECT_EQ(env.state().pass[0], 0);
}

}  // namespace
}  // namespace mecrl::uncertainty
