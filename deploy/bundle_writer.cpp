#include "deploy/bundle_writer.h"

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_manifest.h"
#include "deploy/bundle_format.h"
#include "deploy/onnx_actor.h"
#include "deploy/policy_runtime.h"
#include "core/remove_tree.h"

namespace mecrl::deploy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void refuse_unless_replaceable(const std::string& out_dir) {
  std::error_code ec;
  if (!fs::exists(out_dir, ec)) return;
  const bool bundle = fs::is_directory(out_dir, ec) && fs::exists(fs::path(out_dir) / kManifestFile, ec);
  const bool empty_dir = fs::is_directory(out_dir, ec) && fs::is_empty(out_dir, ec);
  if (!bundle && !empty_dir) {
    throw UsageError(fmt::format("--out {}: exists and is not a policy bundle; refusing to replace it (choose a new "
                                 "directory)",
                                 out_dir));
  }
}

// The parts of policy.json the writer owns: what the weights and the graph are.
void describe_network(json& doc, const ActorWeights& a) {
  json hidden = json::array(), tensors = json::array();
  for (size_t k = 0; k < a.layers.size(); ++k) {
    if (k + 1 < a.layers.size()) hidden.push_back(a.layers[k].out);
    tensors.push_back(layer_tensor_name(k, "weight"));
    tensors.push_back(layer_tensor_name(k, "bias"));
  }
  if (a.normalizes()) {
    tensors.push_back(kObsMeanTensor);
    tensors.push_back(kObsStdTensor);
  }
  doc["format"] = kBundleFormat;
  doc["network"] = {
      {"weights", kWeightsFile},
      {"layers", a.layers.size()},
      {"hidden", hidden},
      {"activation", "tanh between layers, none after the last (logits)"},
      {"obs_norm", a.normalizes()},
      {"obs_clip", a.obs_clip},
      {"exploration_floor", a.exploration_floor},
      {"probs", a.exploration_floor > 0
                    ? "(1 - exploration_floor) softmax(logits) + exploration_floor / (allowed actions) on each "
                      "allowed action (on every action when a row allows none): the distribution the policy was "
                      "trained to act with"
                    : "softmax(logits)"},
      {"forward", a.normalizes() ? "x = clamp((obs - obs_norm.mean) / obs_norm.std, -obs_clip, obs_clip); then "
                                   "h = tanh(W h + b) per layer, logits = W h + b for the last"
                                 : "h = obs; h = tanh(W h + b) per layer, logits = W h + b for the last"},
      {"tensors", tensors},
      {"tensor_layout", "weight [out, in] and bias [out], float32; names as in torch.nn.Sequential(Linear, Tanh, "
                        "Linear, Tanh, Linear)"}};
  json& obs = doc["observation"];
  obs["features"] = a.features();
  obs["dtype"] = "float32";
  obs["shape"] = "[batch, features]";
  obs["normalization"] = a.normalizes() ? "inside the policy: pass raw observations (running mean/std at export, "
                                          "clipped to +-obs_clip)"
                                        : "none: the features are scaled to O(1) by the simulator";
  json& act = doc["action"];
  act["count"] = a.actions();
  act["mask"] = "action_mask [batch, actions] uint8: 0 = forbidden, else allowed; omitted = all allowed";
  act["masked_logit"] = kMaskedLogit;
  act["greedy"] = "the allowed action of highest probability (the lowest index on ties)";
  doc["onnx"] = {{"file", kOnnxFile},
                 {"opset", kOnnxOpset},
                 {"inputs",
                  {{"obs", "[batch, features] float32, raw"},
                   {"action_mask", "[batch or 1, actions] uint8, optional (default: all allowed)"}}},
                 {"outputs",
                  {{"probs", "[batch, actions] float32"},
                   {"action", "[batch] int64, greedy"},
                   {"logits", "[batch, actions] float32, masked"}}}};
}

void check_description(const json& doc, const ActorWeights& a) {
  const auto& feats = doc.at("observation").at("list");
  const auto& acts = doc.at("action").at("list");
  if (static_cast<int64_t>(feats.size()) != a.features() || static_cast<int64_t>(acts.size()) != a.actions()) {
    throw UsageError(fmt::format("the scenario describes {} features and {} actions, but the policy takes {} and "
                                 "gives {} (was it trained with another env config?)",
                                 feats.size(), acts.size(), a.features(), a.actions()));
  }
}

}  // namespace

void write_bundle(const std::string& out_dir_arg, const BundleInput& in) {
  std::string out_dir = out_dir_arg;
  while (out_dir.size() > 1 && out_dir.back() == '/') out_dir.pop_back();
  refuse_unless_replaceable(out_dir);
  check_description(in.description, in.actor);
  json doc = in.description;
  describe_network(doc, in.actor);

  const std::string onnx_bytes = actor_onnx(in.actor, "mecrl policy actor: " + doc.value("scenario", ""),
                                            in.onnx_metadata);
  try {
    check_onnx(onnx_bytes);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}/{}: {}", out_dir, kOnnxFile, e.what()));
  }
  const std::map<std::string, std::string> files = {
      {kPolicyJsonFile, doc.dump(2) + "\n"},
      {kWeightsFile, encode_safetensors(actor_tensors(in.actor), {{"format", kBundleFormat}})},
      {kOnnxFile, onnx_bytes},
      {kConfigFile, in.config_yaml}};

  const fs::path final_dir = fs::absolute(out_dir);
  fs::create_directories(final_dir.parent_path());
  const fs::path tmp = final_dir.parent_path() / fmt::format(".{}.export-{}", final_dir.filename().string(), getpid());
  mecrl::remove_tree(tmp);
  fs::create_directories(tmp);
  try {
    json manifest = {{"format", kBundleFormat}, {"files", json::object()}};
    for (const auto& [name, bytes] : files) {
      write_file_atomic((tmp / name).string(), bytes);
      manifest["files"][name] = manifest_entry(bytes);
    }
    write_file_atomic((tmp / kManifestFile).string(), manifest.dump(2) + "\n");
    BundlePolicy::load(tmp.string());  // what a deployer will load: readable, consistent
    publish_dir_atomic(tmp.string(), final_dir.string());
  } catch (...) {
    std::error_code ec;
    mecrl::remove_tree(tmp, ec);
    throw;
  }
}

}  // namespace mecrl::deploy
