// A loaded policy bundle (bundle_format.h): checked on load, then a plain
// MLP forward from raw observations to action probabilities and greedy
// actions. C++17; no LibTorch, no CUDA, no threads of its own. This is what
// the C ABI (mecrl_policy.h) wraps; `mecrl eval --policy <bundle>` runs it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "deploy/actor_weights.h"

namespace mecrl::deploy {

class BundlePolicy {
 public:
  // Throws UsageError naming the file at fault: missing or malformed
  // manifest, a file whose size or CRC32C differs from the manifest,
  // policy.json that is not valid or disagrees with the weights.
  static BundlePolicy load(const std::string& dir);

  // obs [batch, F] float32 raw; action_mask [batch, A] (0 = forbidden) or
  // null; probs [batch, A] and actions [batch] out, each may be null.
  // Throws UsageError on a non-finite observation. Thread-safe (const).
  void act(const float* obs, const uint8_t* action_mask, int64_t batch, float* probs, int32_t* actions) const;

  int64_t features() const { return actor_.features(); }
  int64_t actions() const { return actor_.actions(); }
  const std::string& scenario() const { return scenario_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }

 private:
  ActorWeights actor_;
  std::vector<std::vector<float>> transposed_;  // per layer: weight^T [in, out], for a vectorisable forward
  std::string scenario_;
  std::vector<std::string> feature_names_;      // [F], for error messages
};

}  // namespace mecrl::deploy
