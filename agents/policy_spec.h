// The shape of a policy network, as stored in a checkpoint's trainer.json
// ("policy_spec"). Free of LibTorch: `mecrl export` reads it without it.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace mecrl::agents {

struct PolicySpec {
  int64_t features = 0, actions = 0, users = 1, value_heads = 1, hidden = 64;
  std::string critic = "user";  // user | cell
  bool norm_obs = false;
  // The acting distribution: (1 - eps) softmax(logits) + eps uniform over
  // the allowed actions (train.exploration_floor). A checkpoint stores the
  // eps its weights act with next (the schedule's value after its
  // iteration); absent in older checkpoints, meaning 0.
  double exploration_floor = 0;
};

nlohmann::json spec_to_json(const PolicySpec& s);
// Throws UsageError naming `origin` and the field if one is missing, of the
// wrong type or out of the range a trainer can produce (hidden in [4, 4096], ...).
PolicySpec spec_from_json(const nlohmann::json& j, const std::string& origin);

}  // namespace mecrl::agents
