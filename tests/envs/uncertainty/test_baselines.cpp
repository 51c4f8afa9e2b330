// The baselines of spec §4 on hand-checkable instances (answers worked out
// below by hand) and against a naive re-implementation of the greedy rules
// written here in double precision, which recomputes every server's load
// and interference from scratch at each choice.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "uncertainty_test_util.h"

namespace mecrl::uncertainty {
namespace {

using testing::CpuEnv;
using testing::HandSnapshot;
using testing::params_with;

// ---------------------------------------------------------------- by hand
//
// One server, C_ref = C_max = 1513e12 and C_ES = 2 C_max, so a server share
// is C_max (speed-up 1) for n <= 2 sharers and 2/3 C_max for n = 3. Payloads
// are 1e-3 bit: uplink times (~1e-11 s) cannot move any decision. So the
// decision delay is 8 t_SLM for the first two users and 12 t_SLM for a third.
//   user  alpha  t_SLM  t_L     d (n<=2)  gap alpha (d - t_L)   d (n=3)
//   A     0.9    10 ms  100 ms  80 ms     -18 ms               120 ms
//   B     0.5     5 ms   30 ms  40 ms     +5 ms                 60 ms
//   C     0.3    10 ms  100 ms  80 ms      -6 ms               120 ms
std::unique_ptr<HandSnapshot> three_on_one_server(float tau) {
  const UncertaintyParams p = params_with({"env.num_users=3", "env.num_servers=1", "env.compute.ref_flops=1513e12",
                                           "env.tau=" + std::to_string(tau)});
  auto h = std::make_unique<HandSnapshot>(p);
  h->user(0, 0.9f, 0.100f, 0.010f, 0.05f, 1e-3f);
  h->user(1, 0.5f, 0.030f, 0.005f, 0.05f, 1e-3f);
  h->user(2, 0.3f, 0.100f, 0.010f, 0.05f, 1e-3f);
  for (int i = 0; i < 3; ++i) h->gain(i, 0, 1e-9f);
  h->server(0, 2 * 1513e12f);
  return h;
}

// tau = 1 (no mandatory users). Step 2 takes A (-18), then C (-6 with n = 2),
// then B's gap with n = 3 is 0.5 (60 - 30) = +15 >= 0: stop. B stays local.
TEST(UncertaintyBaselines, GoaByHandNoMandatory) {
  auto h = three_on_one_server(1.0f);
  EXPECT_EQ(h->act("goa"), (std::vector<int32_t>{1, 0, 1}));
}

// tau = 0.4: A and B are mandatory. Step 1 takes A (-18), then B (+5: step 1
// ignores the sign). Step 2: C would be the third sharer, 0.3 (120 - 100) =
// +6 >= 0: stop. C stays local.
TEST(UncertaintyBaselines, GoaByHandMandatoryStepHonoursTau) {
  auto h = three_on_one_server(0.4f);
  EXPECT_EQ(h->act("goa"), (std::vector<int32_t>{1, 1, 0}));
}

// dmin, unweighted gaps -20, +10, -20: A first (tie with C, lower index),
// then C (-20 with n = 2), then B with n = 3: 60 - 30 = +30: stop.
TEST(UncertaintyBaselines, DminByHand) {
  auto h = three_on_one_server(0.4f);
  EXPECT_EQ(h->act("dmin"), (std::vector<int32_t>{1, 0, 1}));
}

TEST(UncertaintyBaselines, EdgeAndLocalByHand) {
  auto h = three_on_one_server(0.4f);
  EXPECT_EQ(h->act("edge"), (std::vector<int32_t>{1, 1, 1}));
  EXPECT_EQ(h->act("local"), (std::vector<int32_t>{0, 0, 0}));
}

// Stopping rule: when no gap is negative GOA offloads nobody (tau = 1) and
// only the mandatory users otherwise.
TEST(UncertaintyBaselines, GoaStopsWhenNoNegativeGapRemains) {
  auto h = three_on_one_server(1.0f);
  for (int i = 0; i < 3; ++i) h->s().local_s[h->s().l.user(0, i)] = 0.001f;  // local is fastest for everyone
  EXPECT_EQ(h->act("goa"), (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(h->act("dmin"), (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(h->act("random"), (std::vector<int32_t>{0, 0, 0}));  // same size as GOA's: none
  auto m = three_on_one_server(0.8f);                     // only A is mandatory
  for (int i = 0; i < 3; ++i) m->s().local_s[m->s().l.user(0, i)] = 0.001f;
  EXPECT_EQ(m->act("goa"), (std::vector<int32_t>{1, 0, 0}));
}

// Two servers, hand-checkable: user 0 hears server 1 far better; server 0 is
// twice as strong in compute. With C_ref = C_max and C_ES,0 = 2 C_max,
// C_ES,1 = C_max / 2 (share C_max / 2: compute twice as slow):
//   user 0 at server 0: 8 x 10 = 80 ms; at server 1: 160 ms. t_L = 200 ms.
// Server 0 wins despite the weaker channel (uplink ~1e-11 s).
TEST(UncertaintyBaselines, ServerChoiceWeighsCompute) {
  const UncertaintyParams p = params_with({"env.num_users=2", "env.num_servers=2", "env.compute.ref_flops=1513e12",
                                           "env.tau=1"});
  HandSnapshot h(p);
  h.user(0, 0.5f, 0.200f, 0.010f, 0.05f, 1e-3f);
  h.user(1, 0.5f, 0.001f, 0.010f, 0.05f, 1e-3f);  // local is faster for user 1
  h.gain(0, 0, 1e-10f);
  h.gain(0, 1, 1e-8f);
  h.gain(1, 0, 1e-9f);
  h.gain(1, 1, 1e-9f);
  h.server(0, 2 * 1513e12f);
  h.server(1, 0.5f * 1513e12f);
  EXPECT_EQ(h.act("goa"), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(h.act("edge"), (std::vector<int32_t>{1, 1}));  // user 1 forced to the faster server too
}

// ---------------------------------------------------------------- naive oracle

struct Inst {
  int n = 0, m = 0;
  double p_w = 0.2, b_hz = 100e6, noise_w = 4e-21 * 100e6, cmax = 1513e12, cref = 91.06e12, ratio = 8, tau = 0.7;
  std::vector<double> alpha, t_local, slm, bits, ces;
  std::vector<std::vector<double>> g;  // [i][j]
};

Inst copy_instance(const CpuEnv& env, int e) {
  const UncertaintyParams& p = env.params();
  const UncertaintyState& s = env.state();
  Inst x;
  x.n = p.num_users;
  x.m = p.num_servers;
  x.tau = p.tau;
  for (int i = 0; i < x.n; ++i) {
    const size_t u = s.l.user(e, i);
    x.alpha.push_back(s.alpha[u]);
    x.t_local.push_back(s.local_s[u]);
    x.slm.push_back(s.slm_s[u]);
    x.bits.push_back(s.payload_bits[u]);
    std::vector<double> row;
    for (int j = 0; j < x.m; ++j) row.push_back(s.gain[s.l.pair(e, i, j)]);
    x.g.push_back(row);
  }
  for (int j = 0; j < x.m; ++j) x.ces.push_back(s.server_flops[s.l.server(e, j)]);
  return x;
}

// d_ij as if i joined j given `assign` (-1 = unassigned/local), from scratch.
double naive_delay(const Inst& x, const std::vector<int>& assign, int i, int j) {
  int nj = 1;
  double interference = 0;
  for (int k = 0; k < x.n; ++k) {
    if (assign[k] == j) ++nj;
    if (assign[k] >= 0 && assign[k] != j) interference += x.p_w * x.g[k][j];
  }
  const double sinr = x.p_w * x.g[i][j] / (interference + x.noise_w);
  const double rate = x.b_hz / nj * std::log2(1 + sinr);
  const double share = std::min(x.cmax, x.ces[j] / nj);
  return x.bits[i] / rate + x.ratio * x.slm[i] / (share / x.cref);
}

// Greedy on eligible users; returns the final assignment (-1 = local).
void naive_greedy(const Inst& x, std::vector<int>& assign, const std::vector<bool>& eligible, bool weighted,
                  bool stop_at_nonnegative) {
  for (;;) {
    int bi = -1, bj = -1;
    double best = 0;
    for (int i = 0; i < x.n; ++i) {
      if (!eligible[i] || assign[i] >= 0) continue;
      for (int j = 0; j < x.m; ++j) {
        const double gap = (weighted ? x.alpha[i] : 1.0) * (naive_delay(x, assign, i, j) - x.t_local[i]);
        if (bi < 0 || gap < best) {
          best = gap;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0 || (stop_at_nonnegative && best >= 0)) return;
    assign[bi] = bj;
  }
}

std::vector<int32_t> to_actions(const std::vector<int>& assign) {
  std::vector<int32_t> a;
  for (int v : assign) a.push_back(v < 0 ? 0 : v + 1);
  return a;
}

std::vector<int32_t> naive_goa(const Inst& x) {
  std::vector<int> assign(x.n, -1);
  std::vector<bool> mandatory(x.n), all(x.n, true);
  for (int i = 0; i < x.n; ++i) mandatory[i] = x.alpha[i] > x.tau;
  naive_greedy(x, assign, mandatory, true, false);
  naive_greedy(x, assign, all, true, true);
  return to_actions(assign);
}

std::vector<int32_t> naive_dmin(const Inst& x) {
  std::vector<int> assign(x.n, -1);
  naive_greedy(x, assign, std::vector<bool>(x.n, true), false, true);
  return to_actions(assign);
}

std::vector<int32_t> naive_edge(const Inst& x) {
  std::vector<int> assign(x.n, -1);
  naive_greedy(x, assign, std::vector<bool>(x.n, true), true, false);
  return to_actions(assign);
}

std::vector<int32_t> row(const std::vector<int32_t>& all, int e, int n) {
  return std::vector<int32_t>(all.begin() + static_cast<long>(e) * n, all.begin() + static_cast<long>(e + 1) * n);
}

// Drawn snapshots of 2-8 users on 1-3 servers, several taus: the greedy
// rules agree with the naive oracle on every one. Servers are weakened
// (C_ES,j = 1e15 U(0.6, 1.4) < C_max) so that shares differ per server: at
// the cap, two servers' delays differ only by the microsecond uplink and a
// pair can sit within float resolution (~2e-9 s) of another, where float and
// double may legitimately pick different servers.
TEST(UncertaintyBaselines, MatchNaiveGreedyOnDrawnSnapshots) {
  int checked = 0;
  for (int n : {2, 3, 4, 8}) {
    for (int m : {1, 2, 3}) {
      for (const char* tau : {"0.5", "0.7", "1.0"}) {
        // Crowded area: small cells make the load and interference matter.
        const UncertaintyParams p = params_with({"env.num_users=" + std::to_string(n),
                                                 "env.num_servers=" + std::to_string(m), std::string("env.tau=") + tau,
                                                 "env.area_m=150", "env.compute.server_flops=1000e12", "seed=7"});
        const int E = 64;
        CpuEnv env(p, E, CpuExec{1});
        std::vector<int32_t> goa(static_cast<size_t>(E) * n), dmin(goa.size()), edge(goa.size());
        env.act_baseline("goa", goa.data());
        env.act_baseline("dmin", dmin.data());
        env.act_baseline("edge", edge.data());
        for (int e = 0; e < E; ++e) {
          const Inst x = copy_instance(env, e);
          const std::string where = "seed 7, N=" + std::to_string(n) + " M=" + std::to_string(m) + " tau=" + tau +
                                    " env " + std::to_string(e);
          ASSERT_EQ(row(goa, e, n), naive_goa(x)) << where;
          ASSERT_EQ(row(dmin, e, n), naive_dmin(x)) << where;
          ASSERT_EQ(row(edge, e, n), naive_edge(x)) << where;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 4 * 3 * 3 * 64);
}

// GOA offloads every user with alpha > tau (the accuracy rule), edge
// offloads everybody, local nobody.
TEST(UncertaintyBaselines, MandatoryUsersAlwaysOffloaded) {
  for (const char* tau : {"0.3", "0.7", "0.95"}) {
    const UncertaintyParams p = params_with({"env.num_users=120", std::string("env.tau=") + tau});
    const int E = 64, n = p.num_users;
    CpuEnv env(p, E, CpuExec{0});
    std::vector<int32_t> goa(static_cast<size_t>(E) * n), edge(goa.size()), local(goa.size());
    env.act_baseline("goa", goa.data());
    env.act_baseline("edge", edge.data());
    env.act_baseline("local", local.data());
    for (int e = 0; e < E; ++e) {
      for (int i = 0; i < n; ++i) {
        const size_t k = static_cast<size_t>(e) * n + i;
        if (env.state().alpha[env.state().l.user(e, i)] > p.tau) {
          EXPECT_GT(goa[k], 0) << "tau " << tau;
        }
        EXPECT_GE(edge[k], 1);
        EXPECT_LE(edge[k], p.num_servers);
        EXPECT_EQ(local[k], 0);
      }
    }
  }
}

// random: exactly GOA's number of offloaders; the chosen subset placed by
// the unweighted greedy (naive oracle); every user equally likely to be chosen.
TEST(UncertaintyBaselines, RandomSameSizeAsGoaUniformSubset) {
  const UncertaintyParams p = params_with({"env.num_users=6", "env.num_servers=2", "env.area_m=150",
                                           "env.compute.server_flops=1000e12", "seed=11"});
  const int E = 4000, n = p.num_users;
  CpuEnv env(p, E, CpuExec{0});
  std::vector<int32_t> goa(static_cast<size_t>(E) * n), rnd(goa.size()), again(goa.size());
  env.act_baseline("goa", goa.data());
  env.act_baseline("random", rnd.data());
  env.act_baseline("random", again.data());
  EXPECT_EQ(rnd, again);  // a function of (seed, env, snapshot)
  std::vector<double> chosen(n, 0);
  double offloaders = 0;
  for (int e = 0; e < E; ++e) {
    int k_goa = 0, k_rnd = 0;
    std::vector<int> assign(n, -1);
    std::vector<bool> subset(n, false);
    for (int i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(e) * n + i;
      k_goa += goa[k] > 0;
      k_rnd += rnd[k] > 0;
      subset[i] = rnd[k] > 0;
      chosen[i] += rnd[k] > 0;
    }
    ASSERT_EQ(k_rnd, k_goa) << "env " << e;
    offloaders += k_rnd;
    const Inst x = copy_instance(env, e);
    naive_greedy(x, assign, subset, false, false);
    ASSERT_EQ(row(rnd, e, n), to_actions(assign)) << "env " << e;
  }
  // Each user is chosen with probability E[K] / N; binomial bound, 5 sigma.
  const double q = offloaders / E / n;
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(chosen[i] / E, q, 5 * std::sqrt(q * (1 - q) / E)) << "user " << i;
  }
}

}  // namespace
}  // namespace mecrl::uncertainty
