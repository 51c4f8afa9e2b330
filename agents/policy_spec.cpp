#include "agents/policy_spec.h"

#include <fmt/format.h>

#include "core/error.h"

namespace mecrl::agents {

nlohmann::json spec_to_json(const PolicySpec& s) {
  return {{"features", s.features}, {"actions", s.actions}, {"users", s.users}, {"value_heads", s.value_heads},
          {"hidden", s.hidden},     {"critic", s.critic},   {"norm_obs", s.norm_obs},
          {"exploration_floor", s.exploration_floor}};
}

PolicySpec spec_from_json(const nlohmann::json& j, const std::string& origin) {
  PolicySpec s;
  auto integer = [&](const char* key, int64_t lo, int64_t hi) {
    if (!j.is_object() || !j.contains(key) || !j.at(key).is_number_integer()) {
      throw UsageError(fmt::format("{}: policy_spec.{} is missing or not an integer", origin, key));
    }
    const int64_t v = j.at(key).is_number_unsigned() && j.at(key).get<uint64_t>() > static_cast<uint64_t>(hi)
                          ? hi + 1
                          : j.at(key).get<int64_t>();
    if (v < lo || v > hi) {
      throw UsageError(fmt::format("{}: policy_spec.{} = {} is outside [{}, {}]", origin, key, j.at(key).dump(), lo, hi));
    }
    return v;
  };
  // The ranges of what a config can ask for (ppo.hidden, the scenarios' sizes).
  s.features = integer("features", 1, 1 << 16);
  s.actions = integer("actions", 1, 1 << 16);
  s.users = integer("users", 1, 1 << 20);
  s.value_heads = integer("value_heads", 1, 1 << 10);
  s.hidden = integer("hidden", 4, 4096);
  if (!j.contains("critic") || !j.at("critic").is_string() ||
      (j.at("critic") != "user" && j.at("critic") != "cell")) {
    throw UsageError(fmt::format("{}: policy_spec.critic must be \"user\" or \"cell\"", origin));
  }
  s.critic = j.at("critic").get<std::string>();
  if (!j.contains("norm_obs") || !j.at("norm_obs").is_boolean()) {
    throw UsageError(fmt::format("{}: policy_spec.norm_obs is missing or not true/false", origin));
  }
  s.norm_obs = j.at("norm_obs").get<bool>();
  if (j.contains("exploration_floor")) {  // optional: checkpoints before it act with plain softmax
    const nlohmann::json& e = j.at("exploration_floor");
    if (!e.is_number() || !(e.get<double>() >= 0 && e.get<double>() < 1)) {
      throw UsageError(fmt::format("{}: policy_spec.exploration_floor = {} is not a number in [0, 1)", origin, e.dump()));
    }
    s.exploration_floor = e.get<double>();
  }
  return s;
}

}  // namespace mecrl::agents
