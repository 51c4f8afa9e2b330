// Fixed-capacity stream compaction on the device, without a host read: the
// positions of the first `capacity` true entries of a mask, in order. The
// output shapes never depend on the data, so the rollout can be captured in a
// CUDA graph and the actor runs on the deciding users only (~1 % of the rows
// in the offload scenario) instead of all of them.
#pragma once

#include <torch/torch.h>

namespace mecrl::agents {

struct Compacted {
  torch::Tensor index;  // [capacity] int64: positions of the true entries, in order; padded with n (= mask size)
  torch::Tensor valid;  // [capacity] bool: index < n
  torch::Tensor count;  // [] int64: true entries in the mask (may exceed capacity: the excess is dropped)
};

// mask: [n] bool. cumsum + searchsorted: deterministic, O(n + capacity log n).
Compacted compact(const torch::Tensor& mask, int64_t capacity);

// The capacity to use next, from what an iteration saw (`max_seen` true
// entries at most in one call): grows past an overflow, shrinks when more
// than twice too large, else stays (each change costs a graph recapture);
// 25 % + 16 of headroom, never above `limit`.
int64_t next_capacity(int64_t current, int64_t max_seen, int64_t limit);

}  // namespace mecrl::agents
