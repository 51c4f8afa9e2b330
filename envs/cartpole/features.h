// The CartPole-v1 observation (gymnasium's order and units), and beside it
// the documentation rows `mecrl export` writes into policy.json. Row k
// documents enum value k (static_assert).
#pragma once

#include "envs/feature_doc.h"

namespace mecrl::cartpole {

enum Feature : int { kFX = 0, kFXDot = 1, kFTheta = 2, kFThetaDot = 3, kNumFeatures = 4 };

inline constexpr FeatureDoc kFeatureDocs[] = {
    {kFX, "cart_position", "m", "cart position x (the episode ends at |x| > 2.4)", ""},
    {kFXDot, "cart_velocity", "m/s", "cart velocity", ""},
    {kFTheta, "pole_angle", "rad", "pole angle from upright (the episode ends at |theta| > 12 degrees)", ""},
    {kFThetaDot, "pole_angular_velocity", "rad/s", "pole angular velocity", ""},
};
static_assert(documents_enum(kFeatureDocs, kNumFeatures), "one doc row per Feature, in enum order");

}  // namespace mecrl::cartpole
