// The env contract on the uncertainty scenario (EnvPool's trio, minus the
// GPU part in tests/cuda): determinism, observation bounds, the action mask,
// and the one-step episode with gymnasium SAME_STEP auto-reset.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "uncertainty_test_util.h"

namespace mecrl::uncertainty {
namespace {

using testing::CpuEnv;
using testing::params_with;

std::vector<float> obs_of(const CpuEnv& env) {
  const EnvDims& d = env.dims();
  const float* o = env.buffers().obs;
  return std::vector<float>(o, o + static_cast<size_t>(d.num_envs) * d.users * d.features);
}

TEST(UncertaintyEnv, DimsAndNames) {
  const UncertaintyParams p = params_with({"env.num_users=7", "env.num_servers=3"});
  CpuEnv env(p, 5, CpuExec{1});
  const EnvDims& d = env.dims();
  EXPECT_EQ(d.num_envs, 5);
  EXPECT_EQ(d.users, 7);
  EXPECT_EQ(d.features, kFServerBase + kPerServer * 3);
  EXPECT_EQ(d.actions, 4);
  EXPECT_EQ(d.costs, 1);
  EXPECT_EQ(d.info, 5);
  EXPECT_EQ(env.scenario(), "uncertainty");
  EXPECT_EQ(env.cost_names(), (std::vector<std::string>{"accuracy"}));
  EXPECT_EQ(env.info_names(), (std::vector<std::string>{"delay_mean_ms", "accuracy", "offload_frac",
                                                        "uplink_mean_ms", "compute_mean_ms"}));
  EXPECT_EQ(env.baseline_names(), (std::vector<std::string>{"local", "edge", "goa", "dmin", "random"}));
}

// Same seed: the same snapshots, whatever the thread count or the number of
// envs beside; another seed: other snapshots.
TEST(UncertaintyEnv, DeterministicPerSeedEnvAndSnapshot) {
  const UncertaintyParams p = params_with({"env.num_users=20", "seed=5"});
  CpuEnv a(p, 8, CpuExec{1}), b(p, 8, CpuExec{2}), wide(p, 13, CpuExec{2});
  EXPECT_EQ(a.save_state(), b.save_state());
  EXPECT_EQ(obs_of(a), obs_of(b));
  const std::vector<float> oa = obs_of(a), ow = obs_of(wide);
  EXPECT_TRUE(std::equal(oa.begin(), oa.end(), ow.begin()));  // env e does not depend on E
  std::vector<int32_t> act(8 * 20), act_w(13 * 20);
  for (int t = 0; t < 3; ++t) {  // later snapshots too
    a.act_baseline("random", act.data());
    a.step(act.data());
    b.act_baseline("random", act.data());
    b.step(act.data());
    wide.act_baseline("random", act_w.data());
    wide.step(act_w.data());
  }
  EXPECT_EQ(a.save_state(), b.save_state());
  const std::vector<float> la = obs_of(a), lw = obs_of(wide);
  EXPECT_TRUE(std::equal(la.begin(), la.end(), lw.begin()));

  CpuEnv c(params_with({"env.num_users=20", "seed=6"}), 8, CpuExec{1});
  CpuEnv d(p, 8, CpuExec{1});
  EXPECT_NE(c.save_state(), d.save_state());
  EXPECT_NE(obs_of(c), obs_of(d));
}

// Every snapshot is fresh: reset_all and every step draw a new one.
TEST(UncertaintyEnv, EveryResetDrawsAFreshSnapshot) {
  CpuEnv env(params_with({"env.num_users=10"}), 2, CpuExec{1});
  const auto s0 = env.save_state();
  env.reset_all();
  const auto s1 = env.save_state();
  EXPECT_NE(s0, s1);
  EXPECT_EQ(env.state().drawn[0], 2u);
}

// Observations finite and within [-10, 10] over many snapshots at the
// study's extremes; the fixed features say what they should.
TEST(UncertaintyEnv, ObservationBounds) {
  for (const char* n : {"50", "120"}) {
    for (const char* tau : {"0.6", "1.0"}) {
      const UncertaintyParams p = params_with({std::string("env.num_users=") + n, std::string("env.tau=") + tau});
      CpuEnv env(p, 256, CpuExec{0});
      const EnvDims& d = env.dims();
      std::vector<int32_t> act(static_cast<size_t>(d.num_envs) * d.users, 0);
      float lo = 1e30f, hi = -1e30f;
      for (int rep = 0; rep < 4; ++rep) {
        const std::vector<float> o = obs_of(env);
        for (size_t k = 0; k < o.size(); ++k) {
          ASSERT_TRUE(std::isfinite(o[k])) << "feature " << k % d.features;
          lo = std::min(lo, o[k]);
          hi = std::max(hi, o[k]);
        }
        for (int e = 0; e < d.num_envs; ++e) {
          for (int i = 0; i < d.users; ++i) {
            const float* f = o.data() + (static_cast<size_t>(e) * d.users + i) * d.features;
            const float alpha = env.state().alpha[env.state().l.user(e, i)];
            ASSERT_EQ(f[kFAlpha], alpha);
            ASSERT_EQ(f[kFMustOffload], alpha > p.tau ? 1.f : 0.f);
            ASSERT_FLOAT_EQ(f[kFUsers], p.num_users / 100.f);
            ASSERT_FLOAT_EQ(f[kFTau], p.tau);
            ASSERT_NEAR(f[kFLocalDelay], env.state().local_s[env.state().l.user(e, i)] * 20, 1e-6);
          }
        }
        env.act_baseline("goa", act.data());
        env.step(act.data());
      }
      EXPECT_GE(lo, -10.f) << "N " << n << " tau " << tau;
      EXPECT_LE(hi, 10.f) << "N " << n << " tau " << tau;
    }
  }
}

// Mask [E, U, A]: local (action 0) forbidden exactly for alpha > tau, every
// server allowed; tau = 1 allows everything. Every user is active.
TEST(UncertaintyEnv, ActionMask) {
  for (const char* tau : {"0.7", "1.0", "0.0"}) {
    const UncertaintyParams p = params_with({"env.num_users=40", std::string("env.tau=") + tau});
    CpuEnv env(p, 32, CpuExec{1});
    const EnvDims& d = env.dims();
    std::vector<int32_t> act(static_cast<size_t>(d.num_envs) * d.users, 0);
    int masked = 0;
    for (int rep = 0; rep < 2; ++rep) {  // the mask of the auto-reset snapshot too
      for (int e = 0; e < d.num_envs; ++e) {
        for (int i = 0; i < d.users; ++i) {
          const size_t row = static_cast<size_t>(e) * d.users + i;
          const bool must = env.state().alpha[env.state().l.user(e, i)] > p.tau;
          ASSERT_EQ(env.buffers().action_mask[row * d.actions], must ? 0 : 1);
          for (int a = 1; a < d.actions; ++a) ASSERT_EQ(env.buffers().action_mask[row * d.actions + a], 1);
          ASSERT_EQ(env.buffers().active[row], 1);
          masked += must;
        }
      }
      env.step(act.data());
    }
    if (std::string(tau) == "1.0") {
      EXPECT_EQ(masked, 0);
    }
    if (std::string(tau) == "0.0") {
      EXPECT_EQ(masked, 2 * 32 * 40);  // alpha > 0 always
    }
  }
}

// One step ends the episode: terminated, not truncated, final_obs = the
// finished snapshot's observation, obs already the next snapshot's, episode
// stats = the step's, reward = -(mean delay, ms), info from the events.
TEST(UncertaintyEnv, TerminatesAndAutoResets) {
  const UncertaintyParams p = params_with({"env.num_users=30"});
  CpuEnv env(p, 16, CpuExec{1}, /*with_events=*/true);
  const EnvDims& d = env.dims();
  const StepBuffers& out = env.buffers();
  const UncertaintyEvents& ev = env.events();
  std::vector<int32_t> act(static_cast<size_t>(d.num_envs) * d.users);
  for (int t = 0; t < 3; ++t) {
    const std::vector<float> before = obs_of(env);
    const auto state_before = env.save_state();
    env.act_baseline("goa", act.data());
    env.step(act.data());
    const std::vector<float> after = obs_of(env);
    const float* fin = out.final_obs;
    EXPECT_TRUE(std::equal(before.begin(), before.end(), fin));
    EXPECT_NE(before, after);
    EXPECT_NE(state_before, env.save_state());
    for (int e = 0; e < d.num_envs; ++e) {
      EXPECT_EQ(out.terminated[e], 1);
      EXPECT_EQ(out.truncated[e], 0);
      EXPECT_EQ(out.ep_length[e], 1);
      EXPECT_EQ(out.decisions[e], d.users);
      EXPECT_EQ(out.ep_return[e], out.reward[e]);
      EXPECT_EQ(out.ep_costs[e], out.costs[e]);
      EXPECT_EQ(env.state().drawn[e], static_cast<uint32_t>(t + 2));
      double delay = 0, up = 0, cp = 0, ok = 0, off = 0;
      for (int i = 0; i < d.users; ++i) {
        const size_t k = static_cast<size_t>(e) * d.users + i;
        delay += ev.delay_s[k];
        up += ev.uplink_s[k];
        cp += ev.compute_s[k];
        ok += ev.correct[k];
        off += ev.offloaded[k];
        EXPECT_NEAR(out.reward_user[k], -1e3 * ev.delay_s[k], 1e-4);
        EXPECT_NEAR(ev.delay_s[k], ev.offloaded[k] ? ev.uplink_s[k] + ev.compute_s[k] : ev.delay_s[k], 1e-7);
      }
      const double n = d.users;
      EXPECT_NEAR(out.reward[e], -1e3 * delay / n, 1e-3);
      EXPECT_NEAR(out.costs[e], p.accuracy_target - ok / n, 1e-6);
      const float* info = out.ep_info + static_cast<size_t>(e) * d.info;
      EXPECT_NEAR(info[0], 1e3 * delay / n, 1e-3);
      EXPECT_NEAR(info[1], ok / n, 1e-6);
      EXPECT_NEAR(info[2], off / n, 1e-6);
      EXPECT_NEAR(info[3], 1e3 * up / n, 1e-3);
      EXPECT_NEAR(info[4], 1e3 * cp / n, 1e-3);
    }
  }
}

// A masked action is applied as given (gymnasium: the mask is advice to the
// policy); out-of-range actions are clamped to [0, M].
TEST(UncertaintyEnv, ActionsClampedMaskAdvisory) {
  const UncertaintyParams p = params_with({"env.num_users=4", "env.num_servers=2", "env.tau=0"});
  CpuEnv env(p, 1, CpuExec{1}, true);
  const int32_t act[4] = {0, -3, 2, 9};
  env.step(act);
  const UncertaintyEvents& ev = env.events();
  EXPECT_EQ(ev.offloaded[0], 0);  // masked, applied
  EXPECT_EQ(ev.offloaded[1], 0);  // -3 -> 0
  EXPECT_EQ(ev.offloaded[2], 1);
  EXPECT_EQ(ev.offloaded[3], 1);  // 9 -> server M
  EXPECT_EQ(ev.mandatory[0], 1);
}

}  // namespace
}  // namespace mecrl::uncertainty
