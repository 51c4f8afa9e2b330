// Fixed-capacity compaction against a brute-force scan, and the capacity
// policy by hand.
#include <gtest/gtest.h>

#include <vector>

#include "agents/compaction.h"

namespace mecrl::agents {
namespace {

TEST(Compaction, MatchesBruteForceScan) {
  torch::manual_seed(3);
  for (const int64_t n : {1, 7, 64, 1000}) {
    for (const double p : {0.0, 0.01, 0.3, 1.0}) {
      const auto mask = torch::rand({n}) < p;
      const auto* m = mask.data_ptr<bool>();
      std::vector<int64_t> truth;
      for (int64_t i = 0; i < n; ++i) {
        if (m[i]) truth.push_back(i);
      }
      for (const int64_t cap : {int64_t{1}, int64_t{5}, n, n + 3}) {
        const Compacted c = compact(mask, cap);
        ASSERT_EQ(c.index.size(0), cap);
        EXPECT_EQ(c.count.item<int64_t>(), static_cast<int64_t>(truth.size()));
        for (int64_t k = 0; k < cap; ++k) {
          const bool real = k < static_cast<int64_t>(truth.size());
          EXPECT_EQ(c.index[k].item<int64_t>(), real ? truth[k] : n) << "n " << n << " p " << p << " k " << k;
          EXPECT_EQ(c.valid[k].item<bool>(), real);
        }
      }
    }
  }
}

TEST(Compaction, CapacityPolicyByHand) {
  // Overflow: grow to what was seen + 25 % + 16, capped at the limit.
  EXPECT_EQ(next_capacity(10, 40, 1000), 40 + 10 + 16);
  EXPECT_EQ(next_capacity(10, 990, 1000), 1000);
  // The first, full-size iteration: shrink to what the data needs.
  EXPECT_EQ(next_capacity(1000, 8, 1000), 8 + 2 + 16);
  // Within a factor two: keep (no recapture for small drifts).
  EXPECT_EQ(next_capacity(40, 20, 1000), 40);
  EXPECT_EQ(next_capacity(40, 40, 1000), 40);
}

}  // namespace
}  // namespace mecrl::agents
