#include "agents/policy_spec.h"

#include <fmt/format.h>

#include "core/error.h"

namespace mecrl::agents {

nlohmann::json spec_to_json(const PolicySpec& s) {
  return {{"features", s.features}, {"actions", s.actions}, {"users", s.users}, {"value_heads", s.value_heads},
          {"hidden", s.hidden},     {"critic", s.critic},   {"norm_obs", s.norm_obs}};
}

PolicySpec spec_from_json(const nlohmann::json& j, const std::string& origin) {
  try {
    PolicySpec s;
    s.features = j.at("features").get<int64_t>();
    s.actions = j.at("actions").get<int64_t>();
    s.users = j.at("users").get<int64_t>();
    s.value_heads = j.at("value_heads").get<int64_t>();
    s.hidden = j.at("hidden").get<int64_t>();
    s.critic = j.at("critic").get<std::string>();
    s.norm_obs = j.at("norm_obs").get<bool>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: policy_spec is incomplete ({})", origin, e.what()));
  }
}

}  // namespace mecrl::agents
