// Small descriptive statistics for reports (host only).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace mecrl {

inline double mean_of(const std::vector<double>& x) {
  if (x.empty()) return NAN;
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

// Standard error of the mean (sample standard deviation / sqrt(n)).
inline double standard_error(const std::vector<double>& x) {
  if (x.size() < 2) return NAN;
  const double m = mean_of(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(x.size() - 1) / static_cast<double>(x.size()));
}

// q-quantile (q in [0, 1]) with linear interpolation between order
// statistics (numpy's default). Sorts `x` in place.
inline double quantile(std::vector<double>& x, double q) {
  if (x.empty()) return NAN;
  std::sort(x.begin(), x.end());
  const double pos = q * static_cast<double>(x.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (pos - static_cast<double>(lo)) * (x[hi] - x[lo]);
}

}  // namespace mecrl
