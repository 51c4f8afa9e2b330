// Transcendental functions written once from + - * / and bit tricks.
//
// Why not expf/logf? glibc and CUDA's libdevice round differently (both
// document ulp errors), and a one-ulp difference can flip a Bernoulli draw and
// make CPU and GPU trajectories diverge. These versions use only correctly
// rounded IEEE operations, so with FMA contraction disabled (-ffp-contract=off
// on g++, --fmad=false on nvcc; see CMakeLists.txt) both backends produce the
// same bits. Accuracy is a few ulp (tests/core/test_hdmath.cpp checks it
// against the C library).
#pragma once

#include "core/hd.h"

namespace mecrl::hd {

MECRL_HD_CONST float kLn2 = 0.693147180559945309f;
MECRL_HD_CONST float kLn10 = 2.302585092994045684f;
MECRL_HD_CONST float kPi = 3.14159265358979323846f;
MECRL_HD_CONST float kLog2E = 1.44269504088896341f;  // 1 / ln 2

MECRL_HD float inf_f() { return bit_copy<float>(0x7f800000u); }

// Cody–Waite split of ln 2: kLn2Hi has few mantissa bits, so k * kLn2Hi is
// exact for the |k| <= 150 that float exponents need.
MECRL_HD_CONST float kLn2Hi = 0.693359375f;
MECRL_HD_CONST float kLn2Lo = -2.12194440e-4f;

// 2^k for integer k in [-252, 254], as two exact power-of-two factors.
MECRL_HD float pow2i(int k) {
  const int a = k / 2, b = k - a;
  const float fa = bit_copy<float>(static_cast<uint32_t>(a + 127) << 23);
  const float fb = bit_copy<float>(static_cast<uint32_t>(b + 127) << 23);
  return fa * fb;
}

MECRL_HD float floor_f(float x) {
  // Exact: the cast truncates toward zero, then step down for negatives.
  if (!(x > -8388608.f && x < 8388608.f)) return x;  // already integral (or NaN)
  const float t = static_cast<float>(static_cast<int>(x));
  return t > x ? t - 1.f : t;
}

MECRL_HD float exp_f(float x) {
  if (x > 88.72f) return inf_f();
  if (x < -103.9f) return 0.f;
  const float k = floor_f(x * kLog2E + 0.5f);
  const float r = (x - k * kLn2Hi) - k * kLn2Lo;  // |r| <= ~0.347
  // Taylor series to r^7: truncation error < 6e-9 relative on |r| <= 0.35.
  float p = 1.f / 5040.f;
  p = p * r + 1.f / 720.f;
  p = p * r + 1.f / 120.f;
  p = p * r + 1.f / 24.f;
  p = p * r + 1.f / 6.f;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  return p * pow2i(static_cast<int>(k));
}

MECRL_HD float log_f(float x) {
  if (!(x > 0.f)) return x == 0.f ? -inf_f() : bit_copy<float>(0x7fc00000u);
  if (x == inf_f()) return x;
  int e_adj = 0;
  if (x < 1.17549435e-38f) {  // subnormal: scale into the normal range
    x *= 8388608.f;
    e_adj = -23;
  }
  const uint32_t bits = bit_copy<uint32_t>(x);
  int e = static_cast<int>((bits >> 23) & 0xffu) - 127 + e_adj;
  float m = bit_copy<float>((bits & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  if (m > 1.41421356f) {
    m *= 0.5f;
    e += 1;
  }
  // log m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: odd series to s^11.
  const float s = (m - 1.f) / (m + 1.f);
  const float s2 = s * s;
  float p = 1.f / 11.f;
  p = p * s2 + 1.f / 9.f;
  p = p * s2 + 1.f / 7.f;
  p = p * s2 + 1.f / 5.f;
  p = p * s2 + 1.f / 3.f;
  p = p * s2 + 1.f;
  const float log_m = 2.f * s * p;
  const float ef = static_cast<float>(e);
  return ef * kLn2Hi + (ef * kLn2Lo + log_m);
}

MECRL_HD float log2_f(float x) { return log_f(x) * kLog2E; }
MECRL_HD float log10_f(float x) { return log_f(x) * 0.434294481903251828f; }
// log(1 + x), accurate for tiny x too (Goldberg's trick: u - 1 is the x that
// 1 + x actually rounded to, so log(u) * x / (u - 1) cancels that rounding).
// Shannon rates need it: log2(1 + SINR) at SINR < 6e-8 would round to 0 and
// the delay D / R to +inf (a far server's link is slow, not infinitely slow).
MECRL_HD float log1p_f(float x) {
  const float u = 1.f + x;
  if (u == 1.f) return x;                                     // |x| < 2^-24: log(1 + x) = x in float
  if (u == inf_f() || u <= 0.f) return log_f(u);  // +inf, or -inf/NaN for x <= -1
  const float rounded = u - 1.f;
  if (rounded == x) return log_f(u);  // 1 + x was exact (token counts, bit sizes): the factor is 1
  return log_f(u) * (x / rounded);
}
MECRL_HD float log2_1p_f(float x) { return log1p_f(x) * kLog2E; }
MECRL_HD float exp10_f(float x) { return exp_f(x * kLn10); }
MECRL_HD float db_to_linear(float db) { return exp10_f(0.1f * db); }
MECRL_HD float linear_to_db(float lin) { return 10.f * log10_f(lin); }
MECRL_HD float sigmoid_f(float x) { return 1.f / (1.f + exp_f(-x)); }

// tanh for finite x: Taylor to x^7 below |x| = 0.125 (truncation < 2e-9
// relative), else (1 - e^{-2|x|}) / (1 + e^{-2|x|}), where the subtraction
// loses at most 3 bits. A few ulp; glibc's tanhf is ~8x slower, and the
// deployment runtime (deploy/policy_runtime.cpp) spends its time here.
MECRL_HD float tanh_f(float x) {
  const float a = x < 0.f ? -x : x;
  float y;
  if (a < 0.125f) {
    const float a2 = a * a;
    y = a + a * a2 * (-1.f / 3.f + a2 * (2.f / 15.f + a2 * (-17.f / 315.f)));
  } else {
    const float t = exp_f(-2.f * a);
    y = (1.f - t) / (1.f + t);
  }
  return x < 0.f ? -y : y;
}
MECRL_HD float logit_f(float p) { return log_f(p / (1.f - p)); }

// sin and cos of 2*pi*turns, for Box–Muller (turns in [0, 1)).
MECRL_HD void sincos_turns(float turns, float& s, float& c) {
  const float q = floor_f(4.f * turns + 0.5f);  // nearest quarter turn
  const float f = turns - 0.25f * q;            // [-1/8, 1/8]
  const float t = f * (2.f * kPi);              // [-pi/4, pi/4]
  const float t2 = t * t;
  float sp = 1.f / 362880.f;  // Taylor to t^9 / t^10: error < 2e-9
  sp = sp * (-t2) + 1.f / 5040.f;
  sp = sp * (-t2) + 1.f / 120.f;
  sp = sp * (-t2) + 1.f / 6.f;
  sp = sp * (-t2) + 1.f;
  const float st = t * sp;
  float cp = 1.f / 3628800.f;
  cp = cp * (-t2) + 1.f / 40320.f;
  cp = cp * (-t2) + 1.f / 720.f;
  cp = cp * (-t2) + 1.f / 24.f;
  cp = cp * (-t2) + 0.5f;
  const float ct = 1.f - t2 * cp;
  switch (static_cast<int>(q) & 3) {
    case 0: s = st; c = ct; break;
    case 1: s = ct; c = -st; break;
    case 2: s = -st; c = -ct; break;
    default: s = -ct; c = st; break;
  }
}

}  // namespace mecrl::hd
