// The actor of a policy bundle as plain arrays: observation normalisation,
// then dense layers with tanh between them (none after the last, which gives
// the action logits). The same layout as the trainer's
//   torch::nn::Sequential(Linear, Tanh, Linear, Tanh, Linear)
// so the tensor names follow its module indices (actor.0, actor.2, actor.4):
// a PyTorch user can load policy.safetensors into that Sequential as is.
// C++17: part of the deployment runtime.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/safetensors.h"

namespace mecrl::deploy {

struct DenseLayer {
  int64_t in = 0, out = 0;
  std::vector<float> weight;  // [out, in] row-major (torch::nn::Linear's layout)
  std::vector<float> bias;    // [out]
};

struct ActorWeights {
  // x = clamp((obs - obs_mean) / obs_std, -obs_clip, obs_clip) when obs_mean
  // is not empty (running statistics at export; obs_std = sqrt(var + 1e-8)
  // rounded to float32, as the trainer computes it), else x = obs.
  std::vector<float> obs_mean, obs_std;  // [F] each, or both empty
  float obs_clip = 10.f;
  std::vector<DenseLayer> layers;        // tanh after every layer but the last
  // The acting distribution: probs = (1 - eps) softmax(logits) + eps u, u
  // uniform over the allowed actions (all when none is): the trainer's
  // exploration floor at export (agents/policy.h, floored_log_probs). 0: softmax.
  float exploration_floor = 0.f;

  int64_t features() const { return layers.empty() ? 0 : layers.front().in; }
  int64_t actions() const { return layers.empty() ? 0 : layers.back().out; }
  bool normalizes() const { return !obs_mean.empty(); }
};

// Tensor names in policy.safetensors.
inline constexpr const char* kObsMeanTensor = "obs_norm.mean";
inline constexpr const char* kObsStdTensor = "obs_norm.std";
std::string layer_tensor_name(size_t layer, const char* what);  // "actor.{2 layer}.{weight|bias}"

// To and from safetensors (all F32). actor_from_tensors checks every shape
// and throws UsageError naming `origin` and the tensor.
std::map<std::string, TensorBlob> actor_tensors(const ActorWeights& a);
ActorWeights actor_from_tensors(const std::map<std::string, TensorBlob>& tensors, size_t num_layers,
                                bool normalizes, float obs_clip, const std::string& origin);

}  // namespace mecrl::deploy
