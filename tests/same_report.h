// Two evaluation reports are the same: every metric (keys in order, values
// equal, NaN where the other is NaN) and every sample column. Metrics whose
// key contains `skip` (e.g. "solver": wall times) are left out.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/report.h"

namespace mecrl::testing {

inline void expect_same_report(const Report& a, const Report& b, const std::string& skip = "") {
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (size_t k = 0; k < a.metrics.size(); ++k) {
    EXPECT_EQ(a.metrics[k].key, b.metrics[k].key);
    if (!skip.empty() && a.metrics[k].key.find(skip) != std::string::npos) continue;
    if (std::isnan(a.metrics[k].value)) {
      EXPECT_TRUE(std::isnan(b.metrics[k].value)) << a.metrics[k].key;
    } else {
      EXPECT_EQ(a.metrics[k].value, b.metrics[k].value) << a.metrics[k].key;
    }
  }
  ASSERT_EQ(a.samples.size(), b.samples.size());
  for (size_t k = 0; k < a.samples.size(); ++k) EXPECT_EQ(a.samples[k].second, b.samples[k].second) << a.samples[k].first;
}

}  // namespace mecrl::testing
