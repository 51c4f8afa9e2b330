#include "agents/checkpoint_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace mecrl::agents {
namespace {

using nlohmann::json;

// A JSON integer in [lo, hi] (a float, a string or a bool is not one).
int64_t integer_field(const json& t, const char* key, int64_t lo, int64_t hi, const std::string& origin) {
  if (!t.contains(key)) throw UsageError(fmt::format("{}: field \"{}\" is missing", origin, key));
  const json& v = t.at(key);
  if (!v.is_number_integer()) {
    throw UsageError(fmt::format("{}: field \"{}\" = {} is not an integer", origin, key, v.dump()));
  }
  const bool too_big = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi);
  if (too_big || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    throw UsageError(fmt::format("{}: field \"{}\" = {} is outside [{}, {}]", origin, key, v.dump(), lo, hi));
  }
  return v.get<int64_t>();
}

// A finite number, or null where `nullable` (a statistic not seen yet).
void number_field(const json& v, const std::string& key, bool nullable, const std::string& origin) {
  if (nullable && v.is_null()) return;
  if (!v.is_number() || !std::isfinite(v.get<double>())) {
    throw UsageError(fmt::format("{}: field \"{}\" = {} is not a finite number{}", origin, key, v.dump(),
                                 nullable ? " or null" : ""));
  }
}

template <class T>
int64_t count_non_finite(const std::string& bytes) {
  int64_t bad = 0;
  for (size_t at = 0; at + sizeof(T) <= bytes.size(); at += sizeof(T)) {
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    bad += std::isfinite(v) ? 0 : 1;
  }
  return bad;
}

}  // namespace

bool is_checkpoint_file_name(const std::string& name) {
  for (const char* known : {"model.safetensors", "extra.safetensors", "env_state.bin", "optimizer.safetensors",
                            "wm_optimizer.safetensors"}) {
    if (name == known) return true;
  }
  return false;
}

void check_trainer_json(const json& t, const std::string& origin) {
  const int64_t max = int64_t{1} << 62;
  const int64_t iterations = integer_field(t, "num_iterations", 1, max, origin);
  const int64_t iteration = integer_field(t, "iteration", 0, iterations, origin);
  const int64_t step = integer_field(t, "global_step", 0, max, origin);
  // Every iteration adds the same batch (rollout_steps x num_envs) of steps.
  if ((iteration == 0) != (step == 0) || (iteration > 0 && step % iteration != 0)) {
    throw UsageError(fmt::format("{}: global_step = {} is not a whole number of iterations of equal size "
                                 "(iteration = {})",
                                 origin, step, iteration));
  }
  integer_field(t, "num_envs", 1, int64_t{1} << 22, origin);
  integer_field(t, "seed", 0, max, origin);
  if (!t.contains("scenario") || !t.at("scenario").is_string()) {
    throw UsageError(fmt::format("{}: field \"scenario\" is missing or not a string", origin));
  }
  if (!t.contains("elapsed_s")) throw UsageError(fmt::format("{}: field \"elapsed_s\" is missing", origin));
  number_field(t.at("elapsed_s"), "elapsed_s", false, origin);
  if (t.at("elapsed_s").get<double>() < 0) throw UsageError(fmt::format("{}: field \"elapsed_s\" is negative", origin));
  for (const char* k : {"last_return", "last_length"}) {
    if (t.contains(k)) number_field(t.at(k), k, true, origin);
  }
  if (t.contains("last_info")) {
    const json& info = t.at("last_info");
    if (!info.is_array()) throw UsageError(fmt::format("{}: field \"last_info\" is not a list", origin));
    for (size_t k = 0; k < info.size(); ++k) number_field(info[k], fmt::format("last_info[{}]", k), true, origin);
  }
  if (!t.contains("policy_spec") || !t.at("policy_spec").is_object()) {
    throw UsageError(fmt::format("{}: field \"policy_spec\" is missing or not an object", origin));
  }
}

std::pair<std::string, int64_t> first_non_finite(const std::map<std::string, TensorBlob>& tensors) {
  for (const auto& [name, t] : tensors) {
    const int64_t bad = t.dtype == "F32"   ? count_non_finite<float>(t.bytes)
                        : t.dtype == "F64" ? count_non_finite<double>(t.bytes)
                                           : 0;
    if (bad > 0) return {name, bad};
  }
  return {"", 0};
}

void check_tensors(const std::map<std::string, TensorBlob>& tensors, const std::string& origin) {
  for (const auto& [name, t] : tensors) {
    if (t.dtype != "F32" && t.dtype != "F64" && t.dtype != "I64" && t.dtype != "I32" && t.dtype != "U8") {
      throw UsageError(fmt::format("{}: tensor '{}' has dtype {}; checkpoints hold F32, F64, I64, I32 or U8", origin,
                                   name, t.dtype));
    }
  }
  if (const auto [name, bad] = first_non_finite(tensors); bad > 0) {
    throw UsageError(fmt::format("{}: tensor '{}' holds {} non-finite values (NaN or inf): the run had diverged "
                                 "when this checkpoint was written",
                                 origin, name, bad));
  }
}

void check_trainer_tensors(const std::map<std::string, TensorBlob>& extra, int64_t num_envs,
                           const std::string& origin) {
  const auto it = extra.find("trainer.ep_step");
  if (it == extra.end()) return;  // optional: without it a resume starts the episodes' step counts at 0
  const TensorBlob& t = it->second;
  if (t.dtype != "I64" || t.shape != std::vector<int64_t>{num_envs}) {
    throw UsageError(fmt::format("{}: tensor 'trainer.ep_step' is {} [{}], expected I64 [{}] (num_envs)", origin,
                                 t.dtype, fmt::join(t.shape, ", "), num_envs));
  }
  for (int64_t v : tensor_values<int64_t>(t)) {
    if (v < 0) throw UsageError(fmt::format("{}: tensor 'trainer.ep_step' holds {} (steps, >= 0)", origin, v));
  }
}

void check_replay_tensors(const std::map<std::string, TensorBlob>& extra, int64_t num_envs, int64_t users,
                          int64_t features, int64_t actions, const std::string& origin) {
  // -1: any size (rewards: Uv and K depend on the critic and the costs).
  struct Field {
    const char* name;
    const char* dtype;
    std::vector<int64_t> tail;  // the shape after [T, E]
  };
  const std::vector<Field> common = {{"obs", "F32", {users, features}},  {"next_obs", "F32", {users, features}},
                                     {"active", "U8", {users}},          {"next_active", "U8", {users}},
                                     {"actions", "I64", {users}},        {"terminated", "U8", {}},
                                     {"truncated", "U8", {}},            {"joint", "F32", {actions - 1}}};
  for (int k = 0;; ++k) {
    const std::string prefix = fmt::format("replay.{}.", k);
    const auto first = extra.lower_bound(prefix);
    if (first == extra.end() || first->first.compare(0, prefix.size(), prefix) != 0) break;
    // The reward streams the model learns: scaled ("rewards") or raw
    // ("raw_rewards", wm.raw_targets); without either, "rewards" is named missing.
    std::vector<Field> fields = common;
    for (const char* r : {"rewards", "raw_rewards"}) {
      if (extra.count(prefix + r)) fields.push_back({r, "F32", {-1, -1}});
    }
    if (fields.size() == common.size()) fields.push_back({"rewards", "F32", {-1, -1}});
    int64_t steps = -1;
    for (const Field& f : fields) {
      const std::string name = prefix + f.name;
      const auto it = extra.find(name);
      if (it == extra.end()) throw UsageError(fmt::format("{}: tensor '{}' is missing", origin, name));
      const TensorBlob& t = it->second;
      if (steps < 0 && !t.shape.empty()) steps = t.shape[0];
      bool fits = t.dtype == f.dtype && t.shape.size() == 2 + f.tail.size() && t.shape[0] == steps &&
                  t.shape[1] == num_envs;
      for (size_t d = 0; fits && d < f.tail.size(); ++d) fits = f.tail[d] < 0 || t.shape[2 + d] == f.tail[d];
      if (!fits) {
        throw UsageError(fmt::format("{}: tensor '{}' is {} [{}]; the rollout of {} envs holds {} [T, {}{}{}]", origin,
                                     name, t.dtype, fmt::join(t.shape, ", "), num_envs, f.dtype, num_envs,
                                     f.tail.empty() ? "" : ", ", fmt::join(f.tail, ", ")));
      }
    }
  }
}

}  // namespace mecrl::agents
