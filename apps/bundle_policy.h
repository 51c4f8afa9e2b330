// An exported policy bundle (deploy/bundle_format.h) as an ActFn for
// `mecrl eval`, run through the deployment runtime's C ABI
// (deploy/mecrl_policy.h): eval sees exactly what a deployed controller runs.
#pragma once

#include <string>

#include "envs/vec_env.h"

namespace mecrl::app {

// True if `path` is a directory with a bundle's manifest or policy.json (so a
// bundle that lost its manifest is reported as a broken bundle).
bool is_policy_bundle(const std::string& path);

// Greedy actions (deterministic) or actions sampled from the bundle's
// probabilities with Philox keyed by `seed` (not LibTorch's generator, so a
// sampled eval of a bundle and of its checkpoint agree only in distribution).
// Throws UsageError naming the bundle's file if it cannot be loaded, or
// naming policy.json if its scenario or shapes do not fit the env.
ActFn load_bundle_policy(const std::string& dir, bool deterministic, uint64_t seed);

}  // namespace mecrl::app
