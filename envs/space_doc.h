// A scenario's observation and action spaces described for the people who
// deploy a trained policy: written into an exported bundle's policy.json by
// `mecrl export`. Built from each scenario's features.h rows (the single
// source observe.h indexes with) for a given number of servers.
#pragma once

#include <string>
#include <vector>

#include "envs/feature_doc.h"

namespace mecrl {

struct FeatureRow {
  std::string name, unit, definition;
  std::vector<std::string> config_keys;
};

struct ActionRow {
  std::string name, meaning;
};

struct SpaceDoc {
  std::vector<FeatureRow> features;  // [F], in the order of an observation row
  std::vector<ActionRow> actions;    // [A]
  std::string rows;                  // what one observation row is and which rows are decisions
  std::string masking;               // which actions can be forbidden, and when
};

// Appends rows (names prefixed with `prefix`, e.g. "server1.").
void append_feature_rows(SpaceDoc& doc, const FeatureDoc* rows, size_t count, const std::string& prefix = "");

namespace offload {
SpaceDoc describe_spaces(int num_servers);
}
namespace uncertainty {
SpaceDoc describe_spaces(int num_servers, bool join_view = false);
}
namespace cartpole {
SpaceDoc describe_spaces();
}

}  // namespace mecrl
