// Bundles with random weights for the runtime's and writer's unit tests:
// no training, no LibTorch. The description is the minimum write_bundle
// needs; trained bundles are tested in tests/deploy/trained/.
#pragma once

#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "deploy/actor_weights.h"
#include "deploy/bundle_writer.h"

namespace mecrl::testing {

// Orthogonal-ish scale like the trainer's init: weights ~ N(0, 1/in).
inline deploy::ActorWeights random_actor(int64_t features, int64_t hidden, int64_t actions, bool normalizes,
                                         uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  deploy::ActorWeights a;
  const int64_t sizes[] = {features, hidden, hidden, actions};
  for (int k = 0; k < 3; ++k) {
    deploy::DenseLayer l;
    l.in = sizes[k];
    l.out = sizes[k + 1];
    for (int64_t i = 0; i < l.in * l.out; ++i) l.weight.push_back(normal(gen) / std::sqrt(static_cast<float>(l.in)));
    for (int64_t i = 0; i < l.out; ++i) l.bias.push_back(0.1f * normal(gen));
    a.layers.push_back(std::move(l));
  }
  if (normalizes) {
    for (int64_t k = 0; k < features; ++k) {
      a.obs_mean.push_back(normal(gen));
      a.obs_std.push_back(0.5f + std::abs(normal(gen)));
    }
  }
  return a;
}

inline deploy::BundleInput synthetic_input(const deploy::ActorWeights& a) {
  deploy::BundleInput in;
  in.actor = a;
  nlohmann::json features = nlohmann::json::array(), actions = nlohmann::json::array();
  for (int64_t k = 0; k < a.features(); ++k) features.push_back({{"index", k}, {"name", "f" + std::to_string(k)}});
  for (int64_t k = 0; k < a.actions(); ++k) actions.push_back({{"index", k}, {"name", "a" + std::to_string(k)}});
  in.description = {{"scenario", "synthetic"},
                    {"learner", "none"},
                    {"observation", {{"rows", "test rows"}, {"list", features}}},
                    {"action", {{"list", actions}, {"masking", "any"}}}};
  in.config_yaml = "seed: 1\n";
  return in;
}

}  // namespace mecrl::testing
