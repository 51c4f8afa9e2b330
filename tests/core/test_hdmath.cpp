// The host/device transcendentals against the C library (double precision
// reference): relative error within a few float ulps over wide sweeps.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/hdmath.h"

namespace mecrl::hd {
namespace {

constexpr double kUlp = 1.1920929e-7;

TEST(HdMath, ExpMatchesLibm) {
  double worst = 0;
  for (double x = -87.0; x <= 88.0; x += 0.0137) {
    const double ref = std::exp(static_cast<double>(static_cast<float>(x)));
    worst = std::max(worst, std::fabs(exp_f(static_cast<float>(x)) - ref) / ref);
  }
  EXPECT_LT(worst, 4 * kUlp);
  EXPECT_EQ(exp_f(0.f), 1.f);
  EXPECT_EQ(exp_f(-200.f), 0.f);
  EXPECT_TRUE(std::isinf(exp_f(100.f)));
}

TEST(HdMath, LogMatchesLibm) {
  double worst = 0;
  for (double x = 1e-30; x < 1e30; x *= 1.0173) {
    const float xf = static_cast<float>(x);
    const double ref = std::log(static_cast<double>(xf));
    const double err = std::fabs(log_f(xf) - ref) / std::max(1.0, std::fabs(ref));
    worst = std::max(worst, err);
  }
  EXPECT_LT(worst, 4 * kUlp);
  EXPECT_EQ(log_f(1.f), 0.f);
  EXPECT_TRUE(std::isinf(log_f(0.f)));
  EXPECT_NEAR(log_f(1e-40f), std::log(1e-40), 1e-5);  // subnormal input
}

// Relative error against the C library in double, over tiny x (where
// log(1 + x) would round to 0) as well as large and negative x.
TEST(HdMath, Log1pMatchesLibmRelativeForTinyX) {
  double worst = 0;
  for (double m = 1e-30; m < 1e30; m *= 1.0173) {
    for (const double x : {m, -m}) {
      if (x <= -0.999) continue;
      const float xf = static_cast<float>(x);
      const double ref = std::log1p(static_cast<double>(xf));
      worst = std::max(worst, std::fabs(log1p_f(xf) - ref) / std::fabs(ref));
    }
  }
  EXPECT_LT(worst, 8 * kUlp);
  EXPECT_GT(log2_1p_f(1e-10f), 0.f);  // log2(1 + 1e-10f) would be exactly 0
  EXPECT_NEAR(log2_1p_f(1e-10f), 1e-10 / std::log(2.0), 1e-10 * 4 * kUlp);
  EXPECT_TRUE(std::isinf(log1p_f(std::numeric_limits<float>::infinity())));
}

TEST(HdMath, TanhMatchesLibm) {
  double worst = 0;
  for (double m = 1e-20; m < 30; m *= 1.0037) {
    for (const double x : {m, -m}) {
      const float xf = static_cast<float>(x);
      const double ref = std::tanh(static_cast<double>(xf));
      worst = std::max(worst, std::fabs(tanh_f(xf) - ref) / std::fabs(ref));
    }
  }
  EXPECT_LT(worst, 4 * kUlp);
  EXPECT_EQ(tanh_f(0.f), 0.f);
  EXPECT_EQ(tanh_f(100.f), 1.f);
  EXPECT_EQ(tanh_f(-100.f), -1.f);
}

TEST(HdMath, Log10AndDecibels) {
  EXPECT_NEAR(log10_f(1000.f), 3.0, 4e-7);
  EXPECT_NEAR(db_to_linear(-120.f), 1e-12, 1e-12 * 8 * kUlp * 120);
  EXPECT_NEAR(linear_to_db(2.f), 3.0103, 1e-4);
}

TEST(HdMath, SinCosTurnsMatchLibm) {
  double worst = 0;
  for (int k = 0; k < 100000; ++k) {
    const float turns = static_cast<float>(k) / 100000.f;
    float s, c;
    sincos_turns(turns, s, c);
    const double a = 2 * M_PI * static_cast<double>(turns);
    worst = std::max({worst, std::fabs(s - std::sin(a)), std::fabs(c - std::cos(a))});
  }
  EXPECT_LT(worst, 4 * kUlp);
}

TEST(HdMath, FloorIsExact) {
  EXPECT_EQ(floor_f(2.5f), 2.f);
  EXPECT_EQ(floor_f(-2.5f), -3.f);
  EXPECT_EQ(floor_f(-3.f), -3.f);
  EXPECT_EQ(floor_f(1e9f), 1e9f);
}

}  // namespace
}  // namespace mecrl::hd
