#include "deploy/policy_runtime.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdmath.h"
#include "core/file_manifest.h"
#include "deploy/bundle_format.h"

namespace mecrl::deploy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json parse_json(const std::string& text, const std::string& path) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw UsageError(fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
}

// j[a][b]... for a dotted path, as T; UsageError naming the file and key.
template <class T>
T field(const json& j, const std::string& dotted, const std::string& path) {
  const json* v = &j;
  size_t begin = 0;
  while (true) {
    const size_t dot = dotted.find('.', begin);
    const std::string key = dotted.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    if (!v->is_object() || !v->contains(key)) throw UsageError(fmt::format("{}: key '{}' is missing", path, dotted));
    v = &(*v)[key];
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  try {
    return v->get<T>();
  } catch (const json::exception&) {
    throw UsageError(fmt::format("{}: key '{}' = {} has the wrong type", path, dotted, v->dump()));
  }
}

// y[o] = b[o] + sum_i w[o][i] x[i] with w^T stored [in, out], in blocks of
// kBlock outputs whose sums stay in registers while i runs: the inner loop
// over a block's outputs vectorises without reassociating any sum, so every
// output is summed in input order whatever the vector width. The product is
// summed before the bias is added, as BLAS-backed torch::nn::Linear does.
constexpr int64_t kBlock = 16;

template <int64_t Width>
void dense_block(const DenseLayer& l, const float* wt, const float* x, int64_t first, float* y) {
  float acc[Width] = {};
  for (int64_t i = 0; i < l.in; ++i) {
    const float xi = x[i];
    const float* w = wt + i * l.out + first;
    for (int64_t j = 0; j < Width; ++j) acc[j] += w[j] * xi;
  }
  for (int64_t j = 0; j < Width; ++j) y[first + j] = acc[j] + l.bias[first + j];
}

void dense(const DenseLayer& l, const std::vector<float>& wt, const float* x, float* y) {
  int64_t o = 0;
  for (; o + kBlock <= l.out; o += kBlock) dense_block<kBlock>(l, wt.data(), x, o, y);
  for (; o < l.out; ++o) dense_block<1>(l, wt.data(), x, o, y);
}

}  // namespace

BundlePolicy BundlePolicy::load(const std::string& dir) {
  if (!fs::is_directory(dir)) throw UsageError(fmt::format("{}: not a policy bundle directory", dir));
  const std::string manifest_path = (fs::path(dir) / kManifestFile).string();
  if (!fs::exists(manifest_path)) {
    throw UsageError(fmt::format("{}: missing (not a policy bundle, or an interrupted export)", manifest_path));
  }
  const json manifest = parse_json(read_file(manifest_path), manifest_path);
  if (!manifest.is_object() || manifest.value("format", "") != kBundleFormat || !manifest.contains("files")) {
    throw UsageError(fmt::format("{}: not a mecrl policy bundle manifest (format '{}' with \"files\" expected)",
                                 manifest_path, kBundleFormat));
  }
  const json& files = manifest["files"];
  const std::string json_path = (fs::path(dir) / kPolicyJsonFile).string();
  const std::string weights_path = (fs::path(dir) / kWeightsFile).string();
  const json doc = parse_json(read_listed_file(dir, kPolicyJsonFile, files, kManifestFile, "policy bundle"), json_path);
  SafetensorsFile weights;
  try {
    weights = decode_safetensors(read_listed_file(dir, kWeightsFile, files, kManifestFile, "policy bundle"),
                                 weights_path);
  } catch (const UsageError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }

  BundlePolicy p;
  if (field<std::string>(doc, "format", json_path) != kBundleFormat) {
    throw UsageError(fmt::format("{}: format is not '{}'", json_path, kBundleFormat));
  }
  p.scenario_ = field<std::string>(doc, "scenario", json_path);
  const auto layers = field<int64_t>(doc, "network.layers", json_path);
  if (layers < 1 || layers > 64) throw UsageError(fmt::format("{}: network.layers = {} is outside [1, 64]", json_path, layers));
  const bool norm = field<bool>(doc, "network.obs_norm", json_path);
  const auto clip = field<float>(doc, "network.obs_clip", json_path);
  if (!(clip > 0.f)) throw UsageError(fmt::format("{}: network.obs_clip = {} must be > 0", json_path, clip));
  p.actor_ = actor_from_tensors(weights.tensors, static_cast<size_t>(layers), norm, clip, weights_path);
  if (doc.contains("network") && doc["network"].contains("exploration_floor")) {  // absent before it existed: 0
    const auto eps = field<float>(doc, "network.exploration_floor", json_path);
    if (!(eps >= 0.f && eps < 1.f)) {
      throw UsageError(fmt::format("{}: network.exploration_floor = {} is outside [0, 1)", json_path, eps));
    }
    p.actor_.exploration_floor = eps;
  }

  const auto features = field<int64_t>(doc, "observation.features", json_path);
  const auto actions = field<int64_t>(doc, "action.count", json_path);
  if (features != p.actor_.features()) {
    throw UsageError(fmt::format("{}: observation.features = {}, but the actor in {} takes {}", json_path, features,
                                 kWeightsFile, p.actor_.features()));
  }
  if (actions != p.actor_.actions()) {
    throw UsageError(fmt::format("{}: action.count = {}, but the actor in {} gives {}", json_path, actions,
                                 kWeightsFile, p.actor_.actions()));
  }
  const auto list = field<json>(doc, "observation.list", json_path);
  if (!list.is_array() || static_cast<int64_t>(list.size()) != features) {
    throw UsageError(fmt::format("{}: observation.list describes {} features, observation.features = {}", json_path,
                                 list.is_array() ? list.size() : 0, features));
  }
  for (const json& f : list) p.feature_names_.push_back(f.is_object() ? f.value("name", "?") : "?");

  for (const DenseLayer& l : p.actor_.layers) {
    std::vector<float> wt(static_cast<size_t>(l.in * l.out));
    for (int64_t o = 0; o < l.out; ++o) {
      for (int64_t i = 0; i < l.in; ++i) wt[i * l.out + o] = l.weight[o * l.in + i];
    }
    p.transposed_.push_back(std::move(wt));
  }
  return p;
}

void BundlePolicy::act(const float* obs, const uint8_t* action_mask, int64_t batch, float* probs,
                       int32_t* actions) const {
  const int64_t f = features(), a = this->actions();
  const ActorWeights& w = actor_;
  int64_t widest = f;
  for (const DenseLayer& l : w.layers) widest = std::max(widest, l.out);
  thread_local std::vector<float> x, y;  // per-row activations, reused across calls
  x.resize(static_cast<size_t>(widest));
  y.resize(static_cast<size_t>(widest));

  for (int64_t r = 0; r < batch; ++r) {
    const float* o = obs + r * f;
    for (int64_t k = 0; k < f; ++k) {
      if (!std::isfinite(o[k])) {
        throw UsageError(fmt::format("observation row {} feature {} ({}) is {}, must be finite", r, k,
                                     feature_names_[static_cast<size_t>(k)], o[k]));
      }
    }
    if (w.normalizes()) {  // the trainer's ((x - mean) / std).clamp(-clip, clip), in float32
      for (int64_t k = 0; k < f; ++k) x[k] = std::clamp((o[k] - w.obs_mean[k]) / w.obs_std[k], -w.obs_clip, w.obs_clip);
    } else {
      std::copy(o, o + f, x.begin());
    }
    for (size_t l = 0; l < w.layers.size(); ++l) {
      dense(w.layers[l], transposed_[l], x.data(), y.data());
      if (l + 1 < w.layers.size()) {
        for (int64_t k = 0; k < w.layers[l].out; ++k) y[k] = hd::tanh_f(y[k]);  // std::tanh: 8x slower
      }
      std::swap(x, y);
    }
    float* z = x.data();  // logits [A]
    const uint8_t* m = action_mask ? action_mask + r * a : nullptr;
    if (m) {
      for (int64_t k = 0; k < a; ++k) z[k] = m[k] ? z[k] : kMaskedLogit;
    }
    int64_t best = 0;  // first maximum, as torch.argmax and ONNX ArgMax
    for (int64_t k = 1; k < a; ++k) best = z[k] > z[best] ? k : best;
    if (actions) actions[r] = static_cast<int32_t>(best);
    if (probs) {
      float sum = 0.f;
      float* p = probs + r * a;
      for (int64_t k = 0; k < a; ++k) sum += p[k] = std::exp(z[k] - z[best]);
      for (int64_t k = 0; k < a; ++k) p[k] /= sum;
      if (const float eps = w.exploration_floor; eps > 0.f) {  // (1 - eps) softmax + eps u over the allowed actions
        int64_t allowed = a;
        if (m) allowed = std::count_if(m, m + a, [](uint8_t v) { return v != 0; });
        const bool all = allowed == 0;  // a row allowing none: softmax is uniform, so is u
        const float share = eps / static_cast<float>(all ? a : allowed);
        for (int64_t k = 0; k < a; ++k) p[k] = (1.f - eps) * p[k] + (all || !m || m[k] ? share : 0.f);
      }
    }
  }
}

}  // namespace mecrl::deploy
