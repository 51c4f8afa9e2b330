// Writes a policy bundle (bundle_format.h) from an actor and its
// description. Part of mecrl_export (with the ONNX writer); no LibTorch.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "deploy/actor_weights.h"

namespace mecrl::deploy {

struct BundleInput {
  ActorWeights actor;
  // policy.json as far as the caller knows it: "scenario", "learner",
  // "observation" {"rows", "list": [F rows]}, "action" {"list": [A rows],
  // "masking"}, "config", "training". write_bundle adds "format",
  // "network", "onnx" and the shapes, dtypes and rules it owns.
  nlohmann::json description;
  std::string config_yaml;                       // the resolved training config
  std::map<std::string, std::string> onnx_metadata;
};

// Builds the bundle in a temporary sibling directory, checks the ONNX model
// and reloads the bundle through the runtime, then publishes it at out_dir
// in one rename. An existing bundle at out_dir is replaced; any other
// existing, non-empty path is refused (UsageError), so nothing is lost.
void write_bundle(const std::string& out_dir, const BundleInput& in);

}  // namespace mecrl::deploy
