// The actor of a policy bundle as an ONNX model, built with ONNX's own
// protobuf classes (Debian's libonnx-dev) and passed through ONNX's checker
// and strict shape inference before it is written. Lives in mecrl_export,
// which never includes or links LibTorch: pip's LibTorch bundles protobuf
// headers of another version, and its ONNX classes live in `onnx_torch`.
//
// Graph (opset 17, IR 8):
//   inputs   obs          [batch, F] float32, raw observations
//            action_mask  [mask_batch, A] uint8, 0 = forbidden; optional: an
//                         initializer of ones [1, A] is its default, and a
//                         [1, A] mask broadcasts over the batch
//   nodes    Sub/Div/Clip (observation normalisation, when the policy has it)
//            Gemm(transB=1) -> Tanh -> ... -> Gemm      raw logits
//            Cast(bool) -> Where(mask, logits, -1e8)    logits
//            Softmax(axis=-1) -> probs;  ArgMax(axis=1, keepdims=0) -> action
//            with an exploration floor eps > 0: probs = (1 - eps) Softmax + eps u,
//            u = allowed / (allowed actions per row) (all actions where none is)
//   outputs  probs [batch, A] float32, action [batch] int64 (the greedy
//            action: first maximum), logits [batch, A] float32 (masked)
#pragma once

#include <map>
#include <string>

#include "deploy/actor_weights.h"

namespace mecrl::deploy {

inline constexpr int kOnnxOpset = 17;

// Serialised ModelProto; `metadata` becomes metadata_props (ONNX Runtime:
// session.get_modelmeta().custom_metadata_map).
std::string actor_onnx(const ActorWeights& actor, const std::string& doc_string,
                       const std::map<std::string, std::string>& metadata);

// Parses and checks a serialised model (checker, then strict shape
// inference); std::runtime_error with ONNX's message if it fails.
void check_onnx(const std::string& model_bytes);

}  // namespace mecrl::deploy
