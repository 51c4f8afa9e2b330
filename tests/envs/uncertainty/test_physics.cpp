// Physics of the uncertainty scenario against closed forms computed here in
// double precision from the spec's formulas (goa-env.md §1): free-space gain,
// SINR with inter-cell interference, equal bandwidth split, compute sharing
// min(C_max, C_ES / n_j), and the reported delay, on a hand-built snapshot.
#include <gtest/gtest.h>

#include <cmath>

#include "envs/uncertainty/physics.h"
#include "uncertainty_test_util.h"

namespace mecrl::uncertainty {
namespace {

using testing::HandSnapshot;
using testing::params_with;

TEST(UncertaintyPhysics, FreeSpaceAmplitudeClippedAtDmin) {
  const UncertaintyParams p = params_with();
  const double c = 299792458.0, f = 3.5e9;
  for (double d : {10.0, 37.5, 100.0, 353.6}) {
    EXPECT_NEAR(free_space_amplitude(p, static_cast<float>(d)) / (c / (4 * M_PI * f * d)), 1.0, 1e-6) << d;
  }
  const double at_dmin = c / (4 * M_PI * f * 10.0);
  EXPECT_NEAR(free_space_amplitude(p, 1.f) / at_dmin, 1.0, 1e-6);
  EXPECT_NEAR(free_space_amplitude(p, 0.f) / at_dmin, 1.0, 1e-6);
}

TEST(UncertaintyPhysics, ServersAtTheAuthorsPositions) {
  const UncertaintyParams p = params_with();
  const float expect[4][2] = {{125, 125}, {125, 375}, {375, 125}, {375, 375}};
  for (int j = 0; j < 4; ++j) {
    EXPECT_FLOAT_EQ(p.d.server_pos_m[j][0], expect[j][0]);
    EXPECT_FLOAT_EQ(p.d.server_pos_m[j][1], expect[j][1]);
  }
  EXPECT_FLOAT_EQ(p.d.noise_w, 4e-21f * 100e6f);
}

// Three users, two servers. Users 0 and 1 offload to server 0, user 2 to
// server 1. Server 0 hears user 2 as interference, server 1 hears users 0
// and 1. Server 0 (C_ES = 2.5e15) splits below the cap between its two
// users; server 1 (C_ES = 1e16) gives its single user the cap C_max.
struct ThreeUsers {
  double g[3][2] = {{3e-9, 2e-11}, {5e-10, 7e-11}, {4e-11, 9e-10}};
  double llm[3] = {0.21, 0.18, 0.25};
  double bits[3] = {700, 1200, 450};
  double ces[2] = {2.5e15, 1e16};
};

double ref_sinr(const ThreeUsers& t, int i, int j, double interference) {
  return 0.2 * t.g[i][j] / (interference + 4e-21 * 100e6);
}

TEST(UncertaintyPhysics, SinrBandwidthAndComputeSharing) {
  const UncertaintyParams p = params_with({"env.num_users=3", "env.num_servers=2"});
  HandSnapshot h(p);
  ThreeUsers t;
  for (int i = 0; i < 3; ++i) {
    h.user(i, 0.5f, 0.04f, 0.03f, static_cast<float>(t.llm[i]), static_cast<float>(t.bits[i]), true, i != 1);
    for (int j = 0; j < 2; ++j) h.gain(i, j, static_cast<float>(t.g[i][j]));
  }
  h.server(0, static_cast<float>(t.ces[0]));
  h.server(1, static_cast<float>(t.ces[1]));

  // Closed forms.
  const double b = 100e6, cref = 91.06e12, cmax = 1513e12;
  const double i0 = 0.2 * t.g[2][0];                // at server 0: user 2
  const double i1 = 0.2 * (t.g[0][1] + t.g[1][1]);  // at server 1: users 0, 1
  const double share0 = std::min(cmax, t.ces[0] / 2), share1 = std::min(cmax, t.ces[1] / 1);
  ASSERT_LT(share0, cmax);
  ASSERT_EQ(share1, cmax);
  double up[3], cp[3];
  for (int i = 0; i < 2; ++i) {
    up[i] = t.bits[i] / (b / 2 * std::log2(1 + ref_sinr(t, i, 0, i0)));
    cp[i] = t.llm[i] / (share0 / cref);
  }
  up[2] = t.bits[2] / (b * std::log2(1 + ref_sinr(t, 2, 1, i1)));
  cp[2] = t.llm[2] / (share1 / cref);

  // The load and the SINR the physics sees.
  const int32_t actions[3] = {1, 1, 2};
  const ServerLoad v = testing::step_load(p, h.s(), 0, actions);
  EXPECT_EQ(v.n[0], 2);
  EXPECT_EQ(v.n[1], 1);
  EXPECT_NEAR(v.interference_w[0] / i0, 1.0, 1e-6);
  EXPECT_NEAR(v.interference_w[1] / i1, 1.0, 1e-6);
  const LinkTerms t0 = link_terms(p, h.s(), 0, 0, 2, v.interference_w[0]);
  EXPECT_NEAR(link_sinr(p, h.s(), 0, 0, 0, t0) / ref_sinr(t, 0, 0, i0), 1.0, 1e-6);
  EXPECT_NEAR(t0.share_hz, b / 2, 1e-3);
  EXPECT_NEAR(t0.speedup / (share0 / cref), 1.0, 1e-6);

  // The step reports exactly these delays, reward and accuracy cost.
  h.env.step(actions);
  const UncertaintyEvents& ev = h.env.events();
  const StepBuffers& out = h.env.buffers();
  double mean_ms = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(ev.uplink_s[i] / up[i], 1.0, 1e-5) << "user " << i;
    EXPECT_NEAR(ev.compute_s[i] / cp[i], 1.0, 1e-5) << "user " << i;
    EXPECT_NEAR(ev.delay_s[i] / (up[i] + cp[i]), 1.0, 1e-5) << "user " << i;
    EXPECT_EQ(ev.offloaded[i], 1);
    EXPECT_NEAR(out.reward_user[i], -1e3 * (up[i] + cp[i]), 1e-3);
    mean_ms += 1e3 * (up[i] + cp[i]) / 3;
  }
  EXPECT_EQ(ev.correct[1], 0);  // its LLM answer was set wrong
  EXPECT_NEAR(out.reward[0], -mean_ms, 1e-3);
  EXPECT_NEAR(out.costs[0], 0.52 - 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(out.ep_info[3], 1e3 * (up[0] + up[1] + up[2]) / 3, 1e-4);
  EXPECT_NEAR(out.ep_info[4], 1e3 * (cp[0] + cp[1] + cp[2]) / 3, 1e-4);
}

// Local users add neither sharers nor interference; moving a user from
// server 0 to local raises the others' rates exactly as the closed form says.
TEST(UncertaintyPhysics, LocalUsersNeitherShareNorInterfere) {
  const UncertaintyParams p = params_with({"env.num_users=3", "env.num_servers=2"});
  HandSnapshot h(p);
  ThreeUsers t;
  for (int i = 0; i < 3; ++i) {
    h.user(i, 0.5f, 0.04f, 0.03f, static_cast<float>(t.llm[i]), static_cast<float>(t.bits[i]), false, true);
    for (int j = 0; j < 2; ++j) h.gain(i, j, static_cast<float>(t.g[i][j]));
  }
  h.server(0, static_cast<float>(t.ces[0]));
  h.server(1, static_cast<float>(t.ces[1]));
  const int32_t actions[3] = {0, 1, 2};
  h.env.step(actions);
  const UncertaintyEvents& ev = h.env.events();
  const double i0 = 0.2 * t.g[2][0], i1 = 0.2 * t.g[1][1];  // user 0 is local
  const double up1 = t.bits[1] / (100e6 * std::log2(1 + ref_sinr(t, 1, 0, i0)));
  const double cp1 = t.llm[1] / (std::min(1513e12, t.ces[0]) / 91.06e12);
  const double up2 = t.bits[2] / (100e6 * std::log2(1 + ref_sinr(t, 2, 1, i1)));
  EXPECT_NEAR(ev.delay_s[0], 0.04, 1e-9);
  EXPECT_EQ(ev.offloaded[0], 0);
  EXPECT_EQ(ev.correct[0], 0);  // local answer: the SLM's (set wrong)
  EXPECT_NEAR(ev.uplink_s[1] / up1, 1.0, 1e-5);
  EXPECT_NEAR(ev.compute_s[1] / cp1, 1.0, 1e-5);
  EXPECT_NEAR(ev.uplink_s[2] / up2, 1.0, 1e-5);
}

// Compute sharing at one server across n: min(C_max, C_ES / n).
TEST(UncertaintyPhysics, ComputeShareCapsAtCmax) {
  const UncertaintyParams p = params_with();
  const double ces = 10 * 1513e12 * 0.9;
  for (int n = 1; n <= 20; ++n) {
    const double expect = std::min(1513e12, ces / n);
    EXPECT_NEAR(compute_share_flops(p, static_cast<float>(ces), n) / expect, 1.0, 1e-6) << n;
  }
}

// The decision delay (spec §4): n_j + 1 sharers, interference from current
// decisions, compute estimated as 8 t_SLM.
TEST(UncertaintyPhysics, DecisionDelayUsesNewcomerViewAndEightSlm) {
  const UncertaintyParams p = params_with({"env.num_users=3", "env.num_servers=2"});
  HandSnapshot h(p);
  ThreeUsers t;
  for (int i = 0; i < 3; ++i) {
    h.user(i, 0.5f, 0.04f, 0.02f + 0.01f * i, static_cast<float>(t.llm[i]), static_cast<float>(t.bits[i]));
    for (int j = 0; j < 2; ++j) h.gain(i, j, static_cast<float>(t.g[i][j]));
  }
  h.server(0, static_cast<float>(t.ces[0]));
  h.server(1, static_cast<float>(t.ces[1]));
  // Current decisions: user 1 at server 0, user 2 at server 1; user 0 joins server 0.
  const int32_t current[3] = {0, 1, 2};
  const ServerLoad v = testing::step_load(p, h.s(), 0, current);
  const JoinView w = join_view(p, h.s(), 0, v);
  const double i0 = 0.2 * t.g[2][0];
  const double up = t.bits[0] / (100e6 / 2 * std::log2(1 + ref_sinr(t, 0, 0, i0)));
  const double cp = 8 * 0.02 / (std::min(1513e12, t.ces[0] / 2) / 91.06e12);
  EXPECT_NEAR(decision_delay_s(p, h.s(), 0, 0, 0, w) / (up + cp), 1.0, 1e-5);
  // Joining server 1 instead: 2 sharers there, interference from user 1.
  const double i1 = 0.2 * t.g[1][1];
  const double up_b = t.bits[0] / (100e6 / 2 * std::log2(1 + ref_sinr(t, 0, 1, i1)));
  const double cp_b = 8 * 0.02 / (std::min(1513e12, t.ces[1] / 2) / 91.06e12);
  EXPECT_NEAR(decision_delay_s(p, h.s(), 0, 0, 1, w) / (up_b + cp_b), 1.0, 1e-5);
}

// A user in a deep fade offloading to a far, interfered server: SINR ~ 1e-15,
// where log2(1 + SINR) computed as written rounds to 0 in float and the
// delay became +inf (a NaN return in training). The delay must be the
// closed form (huge, finite); the reward clips it at env.reward_delay_cap_s,
// the reported mean delay does not.
TEST(UncertaintyPhysics, DeepFadeDelayIsFiniteAndRewardClipsIt) {
  const UncertaintyParams p = params_with({"env.num_users=2", "env.num_servers=2", "env.reward_delay_cap_s=0.5"});
  HandSnapshot h(p);
  const double g[2][2] = {{1e-12, 1e-22}, {1e-9, 1e-7}};
  const double bits[2] = {700, 900}, llm[2] = {0.2, 0.18}, ces = 1e16;
  for (int i = 0; i < 2; ++i) {
    h.user(i, 0.5f, 0.04f, 0.03f, static_cast<float>(llm[i]), static_cast<float>(bits[i]));
    for (int j = 0; j < 2; ++j) h.gain(i, j, static_cast<float>(g[i][j]));
  }
  h.server(0, static_cast<float>(ces));
  h.server(1, static_cast<float>(ces));
  const int32_t actions[2] = {2, 1};  // user 0 to server 1, user 1 to server 0
  h.env.step(actions);
  const double noise = 4e-21 * 100e6, cp = 0.2 / (1513e12 / 91.06e12);
  const double sinr0 = 0.2 * g[0][1] / (0.2 * g[1][1] + noise);
  ASSERT_LT(sinr0, 1e-14);
  const double d0 = bits[0] / (100e6 * std::log1p(sinr0) / std::log(2.0)) + cp;
  const double sinr1 = 0.2 * g[1][0] / (0.2 * g[0][0] + noise);
  const double d1 = bits[1] / (100e6 * std::log2(1 + sinr1)) + llm[1] / (1513e12 / 91.06e12);
  const UncertaintyEvents& ev = h.env.events();
  const StepBuffers& out = h.env.buffers();
  ASSERT_TRUE(std::isfinite(ev.delay_s[0]));
  EXPECT_NEAR(ev.delay_s[0] / d0, 1.0, 1e-5);
  EXPECT_NEAR(ev.delay_s[1] / d1, 1.0, 1e-5);
  ASSERT_LT(d1, 0.5);
  EXPECT_FLOAT_EQ(out.reward_user[0], -500.f);  // clipped at 0.5 s
  EXPECT_NEAR(out.reward_user[1], -1e3 * d1, 1e-3);
  EXPECT_NEAR(out.reward[0], -(500 + 1e3 * d1) / 2, 1e-3);
  EXPECT_NEAR(out.ep_return[0], out.reward[0], 1e-6);
  EXPECT_NEAR(out.ep_info[0] / (1e3 * (d0 + d1) / 2), 1.0, 1e-5);  // reported: not clipped
}

}  // namespace
}  // namespace mecrl::uncertainty
