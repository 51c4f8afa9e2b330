// Team primitives (core/team.h): the fixed reduction tree against an
// independent recursive definition and a double-precision sum, SerialTeam's
// counts / histograms / compactions against brute force, and the GPU's
// algorithm (BlockTeam, run on emulated lanes) against SerialTeam bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "core/serial_team.h"
#include "emulated_block.h"

namespace mecrl {
namespace {

TEST(Team, WidthIsNextPowerOfTwoThenWholeWarps) {
  const int n[] = {1, 2, 3, 7, 8, 10, 16, 17, 31, 32, 33, 64, 65, 200, 256, 1000, 1024};
  const int w[] = {1, 2, 4, 8, 8, 16, 16, 32, 32, 32, 64, 64, 96, 224, 256, 1024, 1024};
  for (size_t k = 0; k < std::size(n); ++k) EXPECT_EQ(team_width(n[k]), w[k]) << "N = " << n[k];
}

// The documented tree, written as a recursion over the padded lanes: a
// block's sum is its left half's plus its right half's.
float pairwise_recursive(const std::vector<float>& v, size_t lo, size_t size) {
  if (size == 1) return v[lo];
  return pairwise_recursive(v, lo, size / 2) + pairwise_recursive(v, lo + size / 2, size / 2);
}

float documented_tree(const std::vector<float>& users, int width) {
  size_t lanes = width <= 32 ? width : 32;  // 32 times a power of two of warps
  while (lanes < static_cast<size_t>(width)) lanes *= 2;
  std::vector<float> v(lanes, 0.f);
  std::copy(users.begin(), users.end(), v.begin());
  return pairwise_recursive(v, 0, lanes);
}

std::vector<float> random_values(int n, uint32_t seed, float lo, float hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

TEST(Team, SerialSumFollowsTheDocumentedTree) {
  SerialTeamMemory memory;
  for (int n : {1, 2, 5, 7, 16, 31, 33, 100, 200, 256, 513, 1024}) {
    for (uint32_t seed = 1; seed <= 5; ++seed) {
      const std::vector<float> v = random_values(n, seed * 7919u + n, -1e3f, 1e3f);
      const SerialTeam team = memory.team(TeamConfig{n, 0, 0, 0});
      const float got = team.sum_users([&](int i) { return v[i]; });
      const float want = documented_tree(v, team_width(n));
      EXPECT_EQ(bit_copy<uint32_t>(got), bit_copy<uint32_t>(want)) << "N = " << n << " seed " << seed;
    }
  }
}

// Rounding: every value passes through at most log2(1024) = 10 additions,
// so |tree - exact| <= 10 * 2^-24 * sum |x| (Higham, pairwise summation);
// the double sum stands in for the exact one.
TEST(Team, TreeSumErrorWithinPairwiseBound) {
  SerialTeamMemory memory;
  for (int n : {3, 50, 200, 1024}) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      const std::vector<float> v = random_values(n, seed, -5.f, 20.f);
      double exact = 0, magnitude = 0;
      for (float x : v) {
        exact += x;
        magnitude += std::fabs(x);
      }
      const float got = memory.team(TeamConfig{n, 0, 0, 0}).sum_users([&](int i) { return v[i]; });
      EXPECT_LE(std::fabs(got - exact), 10 * std::ldexp(1.0, -24) * magnitude) << "N = " << n << " seed " << seed;
    }
  }
}

TEST(Team, IntegerValuedSumsAreExact) {
  SerialTeamMemory memory;
  for (int n : {7, 200, 1000}) {
    std::mt19937 gen(n);
    std::vector<int> k(n);
    long exact = 0;
    for (auto& x : k) exact += (x = static_cast<int>(gen() % 9000));
    const SerialTeam team = memory.team(TeamConfig{n, 0, 0, 0});
    EXPECT_EQ(team.sum_users([&](int i) { return static_cast<float>(k[i]); }), static_cast<float>(exact));
    EXPECT_EQ(team.sum_users([&](int i) { return k[i]; }), exact);
  }
}

TEST(Team, SerialCountHistogramCompactMatchBruteForce) {
  SerialTeamMemory memory;
  for (int n : {1, 9, 64, 300}) {
    std::mt19937 gen(n + 11);
    std::vector<int> bin(n);
    for (auto& b : bin) b = static_cast<int>(gen() % 6) - 1;  // -1: no bin
    const SerialTeam team = memory.team(TeamConfig{n, 0, 0, 0});
    int hist[5], list[300];
    team.histogram([&](int i) { return bin[i]; }, 5, hist);
    const int c = team.compact([&](int i) { return bin[i] == 2; }, list);
    EXPECT_EQ(team.count_users([&](int i) { return bin[i] >= 0; }),
              static_cast<int>(std::count_if(bin.begin(), bin.end(), [](int b) { return b >= 0; })));
    for (int b = 0; b < 5; ++b) EXPECT_EQ(hist[b], std::count(bin.begin(), bin.end(), b)) << "bin " << b;
    std::vector<int> want;
    for (int i = 0; i < n; ++i) {
      if (bin[i] == 2) want.push_back(i);
    }
    EXPECT_EQ(std::vector<int>(list, list + c), want);
  }
}

// What one team computes, written into `out` by lane 0 (and the compaction).
struct PrimitiveResults {
  float sum = 0;
  Sums<float, 3> sums;
  int count = 0;
  int hist[5] = {};
  int listed = 0;
  std::vector<int> list;
};

template <class Team>
void run_primitives(const Team& team, const std::vector<float>& v, const std::vector<int>& bin, int* list_scratch,
                    int* hist_scratch, PrimitiveResults& out) {
  const float s = team.sum_users([&](int i) { return v[i]; });
  const Sums<float, 3> s3 = team.sum_users([&](int i) {
    Sums<float, 3> r;
    r[0] = v[i] * 3.f;
    r[1] = bin[i] >= 0 ? v[i] : 0.f;
    r[2] = 1.f / (1.f + v[i] * v[i]);
    return r;
  });
  const int c = team.count_users([&](int i) { return bin[i] == 1; });
  team.histogram([&](int i) { return bin[i]; }, 5, hist_scratch);
  const int listed = team.compact([&](int i) { return bin[i] >= 2; }, list_scratch);
  team.single([&] {
    out.sum = s;
    out.sums = s3;
    out.count = c;
    for (int b = 0; b < 5; ++b) out.hist[b] = hist_scratch[b];
    out.listed = listed;
    out.list.assign(list_scratch, list_scratch + listed);
  });
}

// The GPU's team algorithm (shuffle butterflies, ballots, cross-warp
// partials), run on emulated lanes, gives SerialTeam's bits. Several envs per
// block for N <= 16, so teams sharing a warp are covered too.
TEST(Team, BlockTeamReproducesSerialTeamBitForBit) {
  for (int n : {1, 2, 7, 10, 16, 31, 32, 33, 63, 65, 200, 256}) {
    const int envs = n <= 16 ? 5 : 1;
    std::vector<std::vector<float>> v(envs);
    std::vector<std::vector<int>> bin(envs);
    for (int e = 0; e < envs; ++e) {
      v[e] = random_values(n, 100u * n + e, -50.f, 50.f);
      std::mt19937 gen(n * 31 + e);
      bin[e].resize(n);
      for (auto& b : bin[e]) b = static_cast<int>(gen() % 6) - 1;
    }
    ScratchArena measure;  // the list and the histogram, as run_primitives' callers carve them
    measure.take<int>(n);
    measure.take<int>(5);
    const TeamConfig config{n, measure.bytes(), 0, 0};
    std::vector<PrimitiveResults> serial(envs), block(envs);
    SerialTeamMemory memory;
    for (int e = 0; e < envs; ++e) {
      const SerialTeam team = memory.team(config);
      int* list = team.scratch().take<int>(n);
      int* hist = team.scratch().take<int>(5);
      run_primitives(team, v[e], bin[e], list, hist, serial[e]);
    }
    testing::run_emulated_blocks(envs, make_team_shape(config, 48 * 1024), [&](const auto& team, int e) {
      int* list = team.scratch().template take<int>(n);
      int* hist = team.scratch().template take<int>(5);
      run_primitives(team, v[e], bin[e], list, hist, block[e]);
    });
    for (int e = 0; e < envs; ++e) {
      const std::string where = "N = " + std::to_string(n) + ", env " + std::to_string(e);
      EXPECT_EQ(bit_copy<uint32_t>(block[e].sum), bit_copy<uint32_t>(serial[e].sum)) << where;
      EXPECT_EQ(0, std::memcmp(&block[e].sums, &serial[e].sums, sizeof(serial[e].sums))) << where;
      EXPECT_EQ(block[e].count, serial[e].count) << where;
      EXPECT_EQ(0, std::memcmp(block[e].hist, serial[e].hist, sizeof(serial[e].hist))) << where;
      EXPECT_EQ(block[e].list, serial[e].list) << where;
    }
  }
}

}  // namespace
}  // namespace mecrl
