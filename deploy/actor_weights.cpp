#include "deploy/actor_weights.h"

#include <cmath>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace mecrl::deploy {
namespace {

TensorBlob f32(std::vector<int64_t> shape, const std::vector<float>& v) { return make_f32(std::move(shape), v.data()); }

// The F32 values of tensor `name` with exactly `shape`; UsageError otherwise.
std::vector<float> take(const std::map<std::string, TensorBlob>& tensors, const std::string& name,
                        const std::vector<int64_t>& shape, const std::string& origin, std::set<std::string>& used) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw UsageError(fmt::format("{}: tensor '{}' is missing", origin, name));
  const TensorBlob& t = it->second;
  if (t.dtype != "F32") throw UsageError(fmt::format("{}: tensor '{}' is {}, expected F32", origin, name, t.dtype));
  if (t.shape != shape) {
    throw UsageError(fmt::format("{}: tensor '{}' has shape [{}], expected [{}]", origin, name, fmt::join(t.shape, ", "),
                                 fmt::join(shape, ", ")));
  }
  std::vector<float> v = tensor_values<float>(t);
  for (size_t k = 0; k < v.size(); ++k) {
    if (!std::isfinite(v[k])) throw UsageError(fmt::format("{}: tensor '{}' element {} is {}", origin, name, k, v[k]));
  }
  used.insert(name);
  return v;
}

// The shape of a tensor that must be 2-D ([out, in]) or UsageError.
std::vector<int64_t> matrix_shape(const std::map<std::string, TensorBlob>& tensors, const std::string& name,
                                  const std::string& origin) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw UsageError(fmt::format("{}: tensor '{}' is missing", origin, name));
  if (it->second.shape.size() != 2 || it->second.shape[0] < 1 || it->second.shape[1] < 1) {
    throw UsageError(fmt::format("{}: tensor '{}' has shape [{}], expected a non-empty matrix [out, in]", origin, name,
                                 fmt::join(it->second.shape, ", ")));
  }
  return it->second.shape;
}

}  // namespace

std::string layer_tensor_name(size_t layer, const char* what) { return fmt::format("actor.{}.{}", 2 * layer, what); }

std::map<std::string, TensorBlob> actor_tensors(const ActorWeights& a) {
  std::map<std::string, TensorBlob> out;
  if (a.normalizes()) {
    out[kObsMeanTensor] = f32({a.features()}, a.obs_mean);
    out[kObsStdTensor] = f32({a.features()}, a.obs_std);
  }
  for (size_t k = 0; k < a.layers.size(); ++k) {
    const DenseLayer& l = a.layers[k];
    out[layer_tensor_name(k, "weight")] = f32({l.out, l.in}, l.weight);
    out[layer_tensor_name(k, "bias")] = f32({l.out}, l.bias);
  }
  return out;
}

ActorWeights actor_from_tensors(const std::map<std::string, TensorBlob>& tensors, size_t num_layers, bool normalizes,
                                float obs_clip, const std::string& origin) {
  if (num_layers < 1) throw UsageError(fmt::format("{}: the actor has no layers", origin));
  ActorWeights a;
  a.obs_clip = obs_clip;
  std::set<std::string> used;
  for (size_t k = 0; k < num_layers; ++k) {
    const std::string w = layer_tensor_name(k, "weight"), b = layer_tensor_name(k, "bias");
    const std::vector<int64_t> shape = matrix_shape(tensors, w, origin);
    DenseLayer l;
    l.out = shape[0];
    l.in = shape[1];
    if (k > 0 && l.in != a.layers.back().out) {
      throw UsageError(fmt::format("{}: tensor '{}' takes {} inputs but the layer before gives {}", origin, w, l.in,
                                   a.layers.back().out));
    }
    l.weight = take(tensors, w, {l.out, l.in}, origin, used);
    l.bias = take(tensors, b, {l.out}, origin, used);
    a.layers.push_back(std::move(l));
  }
  if (normalizes) {
    a.obs_mean = take(tensors, kObsMeanTensor, {a.features()}, origin, used);
    a.obs_std = take(tensors, kObsStdTensor, {a.features()}, origin, used);
    for (size_t k = 0; k < a.obs_std.size(); ++k) {
      if (!(a.obs_std[k] > 0.f)) {
        throw UsageError(fmt::format("{}: tensor '{}' element {} is {}, must be > 0", origin, kObsStdTensor, k,
                                     a.obs_std[k]));
      }
    }
  }
  for (const auto& [name, unused] : tensors) {
    if (!used.count(name)) throw UsageError(fmt::format("{}: unexpected tensor '{}'", origin, name));
  }
  return a;
}

}  // namespace mecrl::deploy
