// Draws from the Philox stream addressed by (seed, env, slot, stream, lane).
//
// Counter layout, 4 x 32 bits: [env, slot, stream << 20 | lane, draw index].
// `slot` is the env's clock (slots since the env was created, across episode
// resets), `stream` names the purpose (arrivals, fading, ...; < 4096) and
// `lane` the user, server or pair (< 2^20). Every (env, slot, stream, lane)
// therefore owns an independent sequence, whatever thread or device runs it.
#pragma once

#include <cmath>

#include "core/hd.h"
#include "core/hdmath.h"
#include "core/philox.h"

namespace mecrl {

class Rng {
 public:
  MECRL_HD Rng(uint64_t seed, uint32_t env, uint32_t slot, uint32_t stream, uint32_t lane)
      : k0_(static_cast<uint32_t>(seed)),
        k1_(static_cast<uint32_t>(seed >> 32)),
        c0_(env),
        c1_(slot),
        c2_((stream << 20) | (lane & 0xFFFFFu)) {}

  MECRL_HD uint32_t next_u32() {
    if (used_ == 4) {
      buf_ = philox4x32_10(Philox4{{c0_, c1_, c2_, c3_}}, k0_, k1_);
      ++c3_;
      used_ = 0;
    }
    return buf_.v[used_++];
  }

  // [0, 1), 24 random bits.
  MECRL_HD float uniform() { return static_cast<float>(next_u32() >> 8) * (1.f / 16777216.f); }
  // (0, 1], safe for log.
  MECRL_HD float uniform_pos() {
    return static_cast<float>((next_u32() >> 8) + 1u) * (1.f / 16777216.f);
  }
  MECRL_HD float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  MECRL_HD bool bernoulli(float p) { return uniform() < p; }

  // Standard normal pair by Box–Muller (both halves used).
  MECRL_HD void normal2(float& z0, float& z1) {
    const float r = sqrtf(-2.f * hd::log_f(uniform_pos()));
    float s, c;
    hd::sincos_turns(uniform(), s, c);
    z0 = r * c;
    z1 = r * s;
  }
  MECRL_HD float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    float z0, z1;
    normal2(z0, z1);
    spare_ = z1;
    has_spare_ = true;
    return z0;
  }
  // exp(N(log median, sigma^2))
  MECRL_HD float lognormal(float median, float sigma) { return median * hd::exp_f(sigma * normal()); }

  // Beta(a, 1) by inversion: F(x) = x^a.
  MECRL_HD float beta_a1(float a) { return hd::exp_f(hd::log_f(uniform_pos()) / a); }

 private:
  uint32_t k0_, k1_, c0_, c1_, c2_, c3_ = 0;
  Philox4 buf_{};
  int used_ = 4;
  float spare_ = 0.f;
  bool has_spare_ = false;
};

}  // namespace mecrl
