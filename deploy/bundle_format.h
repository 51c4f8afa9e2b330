// A policy bundle: what `mecrl export` writes and the runtime (mecrl_policy)
// reads. One directory:
//   manifest.json       {"format": kBundleFormat, "files": {name: {"bytes", "crc32c"}}}
//                       covering every other file (core/file_manifest.h)
//   policy.json         what the policy is: scenario, every observation feature
//                       in order (unit, definition, config keys and values),
//                       action meanings, masking rules, network, config hash,
//                       training metrics at export
//   policy.safetensors  the actor's weights (names: actor_weights.h)
//   policy.onnx         the same actor for ONNX Runtime / Triton (onnx_actor.h)
//   config.yaml         the resolved training config the hash is of
// C++17: part of the deployment runtime.
#pragma once

namespace mecrl::deploy {

inline constexpr const char* kBundleFormat = "mecrl-policy-bundle-1";
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kPolicyJsonFile = "policy.json";
inline constexpr const char* kWeightsFile = "policy.safetensors";
inline constexpr const char* kOnnxFile = "policy.onnx";
inline constexpr const char* kConfigFile = "config.yaml";

// The logit of a forbidden action: the trainer's masked_fill value
// (agents/policy.cpp), so masked rows match it exactly.
inline constexpr float kMaskedLogit = -1e8f;

}  // namespace mecrl::deploy
