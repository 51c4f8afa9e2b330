#include "agents/compaction.h"

#include <algorithm>

namespace mecrl::agents {

Compacted compact(const torch::Tensor& mask, int64_t capacity) {
  const auto lopt = torch::TensorOptions().dtype(torch::kInt64).device(mask.device());
  const auto csum = mask.to(torch::kInt64).cumsum(0);  // [n]: true entries up to and including i
  // The k-th true entry (k = 1..capacity) is the first i with csum[i] >= k;
  // past the last one searchsorted answers n: the padding index.
  const auto k = torch::arange(1, capacity + 1, lopt);
  Compacted c;
  c.index = torch::searchsorted(csum, k);
  c.count = mask.numel() ? csum[-1] : torch::zeros({}, lopt);
  c.valid = c.index < mask.numel();
  return c;
}

int64_t next_capacity(int64_t current, int64_t max_seen, int64_t limit) {
  const int64_t wanted = std::min(limit, max_seen + max_seen / 4 + 16);
  if (max_seen > current) return wanted;      // overflowed: grow
  if (current > 2 * wanted) return wanted;    // far too large (the first, full-size iteration): shrink
  return current;                             // hysteresis: no recapture for small drifts
}

}  // namespace mecrl::agents
