// Philox4x32-10 against Random123's published known-answer vectors
// (kat_vectors: philox4x32_10), and statistical sanity of the draws.
#include <gtest/gtest.h>

#include <cmath>

#include "core/philox.h"
#include "core/random.h"

namespace mecrl {
namespace {

TEST(Philox, KnownAnswerZero) {
  const Philox4 r = philox4x32_10(Philox4{{0, 0, 0, 0}}, 0, 0);
  EXPECT_EQ(r.v[0], 0x6627e8d5u);
  EXPECT_EQ(r.v[1], 0xe169c58du);
  EXPECT_EQ(r.v[2], 0xbc57ac4cu);
  EXPECT_EQ(r.v[3], 0x9b00dbd8u);
}

TEST(Philox, KnownAnswerAllOnes) {
  const Philox4 r = philox4x32_10(Philox4{{~0u, ~0u, ~0u, ~0u}}, ~0u, ~0u);
  EXPECT_EQ(r.v[0], 0x408f276du);
  EXPECT_EQ(r.v[1], 0x41c83b0eu);
  EXPECT_EQ(r.v[2], 0xa20bc7c6u);
  EXPECT_EQ(r.v[3], 0x6d5451fdu);
}

TEST(Philox, KnownAnswerPi) {
  const Philox4 r =
      philox4x32_10(Philox4{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(r.v[0], 0xd16cfe09u);
  EXPECT_EQ(r.v[1], 0x94fdccebu);
  EXPECT_EQ(r.v[2], 0x5001e420u);
  EXPECT_EQ(r.v[3], 0x24126ea1u);
}

TEST(Rng, StreamsAreIndependentAndReproducible) {
  Rng a(7, 3, 100, 2, 5), b(7, 3, 100, 2, 5), c(7, 3, 100, 2, 6), d(8, 3, 100, 2, 5);
  const uint32_t xa = a.next_u32();
  EXPECT_EQ(xa, b.next_u32());
  EXPECT_NE(xa, c.next_u32());  // another lane
  EXPECT_NE(xa, d.next_u32());  // another seed
}

// Moments of the distributions against their closed forms, over 400k draws:
// the tolerances are ~6 standard errors.
TEST(Rng, MomentsMatchClosedForms) {
  const int n = 400000;
  double su = 0, su2 = 0, sz = 0, sz2 = 0, slog = 0, sbeta = 0;
  for (int k = 0; k < n; ++k) {
    Rng r(11, static_cast<uint32_t>(k), 0, 1, 0);
    const double u = r.uniform();
    su += u;
    su2 += u * u;
    const double z = r.normal();
    sz += z;
    sz2 += z * z;
    slog += std::log(r.lognormal(2.0f, 0.5f));
    sbeta += r.beta_a1(2.0f);
  }
  EXPECT_NEAR(su / n, 0.5, 6 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(su2 / n, 1.0 / 3, 6 * std::sqrt(4.0 / 45 / n));
  EXPECT_NEAR(sz / n, 0.0, 6 * std::sqrt(1.0 / n));
  EXPECT_NEAR(sz2 / n, 1.0, 6 * std::sqrt(2.0 / n));
  EXPECT_NEAR(slog / n, std::log(2.0), 6 * 0.5 / std::sqrt(n));
  // Beta(2, 1): mean 2/3, variance 1/18.
  EXPECT_NEAR(sbeta / n, 2.0 / 3, 6 * std::sqrt(1.0 / 18 / n));
}

}  // namespace
}  // namespace mecrl
