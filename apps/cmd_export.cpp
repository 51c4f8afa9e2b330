// mecrl export: a checkpoint's actor as a deployable policy bundle
// (deploy/bundle_format.h): policy.onnx, policy.safetensors, policy.json,
// config.yaml, manifest.json. No LibTorch: the checkpoint is read through
// agents/checkpoint_files.h and its safetensors file, and the feature
// descriptions come from each scenario's features.h (envs/space_doc.h).
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agents/agent_config.h"
#include "agents/checkpoint_files.h"
#include "agents/policy_spec.h"
#include "apps/commands.h"
#include "apps/env_factory.h"
#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "deploy/bundle_writer.h"
#include "deploy/onnx_actor.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace mecrl::app {
namespace {

// agents/running_stats.h normalises with clamp((x - mean) / sqrt(var + eps), -clip, clip).
constexpr double kObsNormEps = 1e-8;
constexpr float kObsNormClip = 10.f;

// The actor's tensors "policy.actor.<i>.*" and, with norm_obs, the running
// statistics "policy.obs_rms.{mean,var}" (float64), as the bundle stores them.
deploy::ActorWeights actor_of(const std::map<std::string, TensorBlob>& model, const agents::PolicySpec& spec,
                              const std::string& origin) {
  std::map<std::string, TensorBlob> actor;
  size_t layers = 0;
  const std::string prefix = "policy.";
  for (const auto& [name, blob] : model) {
    if (name.rfind("policy.actor.", 0) != 0) continue;
    actor[name.substr(prefix.size())] = blob;
    if (name.size() > 7 && name.substr(name.size() - 7) == ".weight") ++layers;
  }
  deploy::ActorWeights a = deploy::actor_from_tensors(actor, layers, false, kObsNormClip, origin);
  if (a.features() != spec.features || a.actions() != spec.actions) {
    throw UsageError(fmt::format("{}: the actor takes {} features and gives {} actions, trainer.json's policy_spec "
                                 "says {} and {}",
                                 origin, a.features(), a.actions(), spec.features, spec.actions));
  }
  if (spec.norm_obs) {
    const auto mean_it = model.find("policy.obs_rms.mean"), var_it = model.find("policy.obs_rms.var");
    if (mean_it == model.end() || var_it == model.end()) {
      throw UsageError(fmt::format("{}: norm_obs is on but policy.obs_rms.mean/var are missing", origin));
    }
    const std::vector<double> mean = tensor_values<double>(mean_it->second), var = tensor_values<double>(var_it->second);
    if (static_cast<int64_t>(mean.size()) != spec.features || static_cast<int64_t>(var.size()) != spec.features) {
      throw UsageError(fmt::format("{}: policy.obs_rms has {} means and {} variances for {} features", origin,
                                   mean.size(), var.size(), spec.features));
    }
    for (size_t k = 0; k < mean.size(); ++k) {  // rounded to float32 as the trainer's normalize() rounds them
      a.obs_mean.push_back(static_cast<float>(mean[k]));
      a.obs_std.push_back(static_cast<float>(std::sqrt(var[k] + kObsNormEps)));
    }
  }
  return a;
}

// The last row of metrics.csv as {column: value} (empty cells left out).
json last_metrics_row(const std::string& path) {
  json out = json::object();
  if (!fs::exists(path)) return out;
  std::istringstream in(read_file(path));
  std::string header, line, last;
  std::getline(in, header);
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  std::istringstream names(header), values(last);
  std::string name, value;
  while (std::getline(names, name, ',')) {
    if (!std::getline(values, value, ',')) break;
    if (value.empty()) continue;
    try {
      out[name] = std::stod(value);
    } catch (const std::exception&) {
      out[name] = value;
    }
  }
  return out;
}

json training_summary(const json& trainer, const std::string& checkpoint, const std::string& metrics_csv) {
  json t = {{"checkpoint", checkpoint}};
  for (const char* key : {"iteration", "num_iterations", "global_step", "elapsed_s", "seed", "num_envs", "last_return",
                          "last_length", "last_info"}) {
    if (trainer.contains(key)) t[key] = trainer[key];
  }
  t["metrics"] = last_metrics_row(metrics_csv);
  t["metrics_source"] = fs::exists(metrics_csv) ? metrics_csv + " (last row)" : "none (no metrics.csv beside the run)";
  return t;
}

json feature_list(const SpaceDoc& doc, const std::map<std::string, std::string>& values) {
  json list = json::array();
  for (size_t k = 0; k < doc.features.size(); ++k) {
    const FeatureRow& f = doc.features[k];
    json keys = json::object();
    for (const std::string& key : f.config_keys) {
      const auto it = values.find(key);
      keys[key] = it == values.end() ? json(nullptr) : json(it->second);
    }
    list.push_back({{"index", k}, {"name", f.name}, {"unit", f.unit}, {"definition", f.definition}, {"config", keys}});
  }
  return list;
}

json action_list(const SpaceDoc& doc) {
  json list = json::array();
  for (size_t k = 0; k < doc.actions.size(); ++k) {
    list.push_back({{"index", k}, {"name", doc.actions[k].name}, {"meaning", doc.actions[k].meaning}});
  }
  return list;
}

std::string names_of(const json& list) {
  std::string out;
  for (const json& row : list) out += (out.empty() ? "" : ",") + row["name"].get<std::string>();
  return out;
}

}  // namespace

int run_export(const ExportArgs& args) {
  const std::string ckpt = args.policy;
  const fs::path run_dir = (fs::path(ckpt) / ".." / "..").lexically_normal();
  const std::string config_path = args.config.empty() ? (run_dir / "config.yaml").string() : args.config;

  const json trainer = agents::read_checkpoint_meta(ckpt);
  const std::string trainer_json = (fs::path(ckpt) / "trainer.json").string();
  if (!trainer.contains("policy_spec")) throw UsageError(trainer_json + ": policy_spec missing");
  const agents::PolicySpec spec = agents::spec_from_json(trainer["policy_spec"], trainer_json);
  const std::string model_path = (fs::path(ckpt) / "model.safetensors").string();
  std::map<std::string, TensorBlob> model;
  try {
    model = decode_safetensors(agents::read_checkpoint_file(ckpt, trainer, "model.safetensors"), model_path).tensors;
  } catch (const UsageError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  deploy::ActorWeights actor = actor_of(model, spec, model_path);
  actor.exploration_floor = static_cast<float>(spec.exploration_floor);  // the distribution the policy acts with

  if (!fs::exists(config_path)) {
    throw UsageError(fmt::format("{}: the run's resolved config is missing (give it with --config)", config_path));
  }
  const std::string config_text = read_file(config_path);
  const Config cfg = Config::load(config_path);
  ConfigReader r(cfg);
  const EnvFactory factory = read_env_factory(r);
  const std::string trained_on = trainer.value("scenario", "");
  if (factory.scenario != trained_on) {
    throw UsageError(fmt::format("{}: describes scenario '{}', but {} was trained on '{}'", config_path,
                                 factory.scenario, trainer_json, trained_on));
  }
  const int costs = factory.make(1, Device::Cpu, 1)->dims().costs;
  const agents::AgentConfig agent = agents::read_agent_config(r, costs);
  const SpaceDoc spaces = factory.describe();
  if (static_cast<int64_t>(spaces.features.size()) != actor.features() ||
      static_cast<int64_t>(spaces.actions.size()) != actor.actions()) {
    throw UsageError(fmt::format("{}: describes an env with {} features and {} actions, but the policy in {} takes {} "
                                 "and gives {} (is it this run's config?)",
                                 config_path, spaces.features.size(), spaces.actions.size(), model_path,
                                 actor.features(), actor.actions()));
  }
  std::map<std::string, std::string> values;
  json env = json::object();
  for (const ResolvedKey& k : r.resolved()) {
    values[k.key] = k.value;
    if (k.key.rfind("env.", 0) == 0) env[k.key] = k.value;
  }

  deploy::BundleInput in;
  in.actor = actor;
  in.config_yaml = config_text;
  const std::string config_crc = fmt::format("{:08x}", crc32c(config_text));
  in.description = {
      {"scenario", factory.scenario},
      {"learner", agents::learner_name(agent)},
      {"observation", {{"rows", spaces.rows}, {"list", feature_list(spaces, values)}}},
      {"action", {{"list", action_list(spaces)}, {"masking", spaces.masking}}},
      {"config", {{"file", "config.yaml"}, {"crc32c", config_crc}, {"source", config_path}, {"env", env}}},
      {"training", training_summary(trainer, ckpt, (run_dir / "metrics.csv").string())}};
  in.onnx_metadata = {{"mecrl.scenario", factory.scenario},
                      {"mecrl.learner", agents::learner_name(agent)},
                      {"mecrl.features", names_of(in.description["observation"]["list"])},
                      {"mecrl.actions", names_of(in.description["action"]["list"])},
                      {"mecrl.masking", spaces.masking},
                      {"mecrl.config_crc32c", config_crc}};
  deploy::write_bundle(args.out, in);
  std::string shape = std::to_string(actor.features());
  for (const auto& l : actor.layers) shape += " -> " + std::to_string(l.out);
  std::cout << fmt::format("exported the {} {} actor ({}{}{}) to {}/: policy.onnx (opset {}, checked), "
                           "policy.safetensors, policy.json, config.yaml, manifest.json\n",
                           factory.scenario, agents::learner_name(agent), shape,
                           actor.normalizes() ? ", observation normalisation folded in" : "",
                           actor.exploration_floor > 0 ? fmt::format(", exploration floor {:g}", actor.exploration_floor)
                                                       : "",
                           args.out,
                           deploy::kOnnxOpset);
  return 0;
}

}  // namespace mecrl::app
