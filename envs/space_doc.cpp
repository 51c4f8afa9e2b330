#include "envs/space_doc.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "envs/cartpole/features.h"
#include "envs/offload/features.h"
#include "envs/uncertainty/features.h"

namespace mecrl {
namespace {

std::vector<std::string> split_keys(const std::string& keys) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin < keys.size()) {
    const size_t end = std::min(keys.find(',', begin), keys.size());
    if (end > begin) out.push_back(keys.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

// Both MEC scenarios: action 0 runs locally, action j + 1 offloads to server j.
std::vector<ActionRow> local_or_server_actions(int num_servers, const std::string& local, const std::string& server) {
  std::vector<ActionRow> a = {{"local", local}};
  for (int j = 0; j < num_servers; ++j) a.push_back({fmt::format("server{}", j), fmt::format(fmt::runtime(server), j)});
  return a;
}

// The user's own features, then each server's.
template <size_t U, size_t S>
SpaceDoc user_and_server_rows(const FeatureDoc (&user)[U], const FeatureDoc (&server)[S], int num_servers) {
  SpaceDoc d;
  append_feature_rows(d, user, U);
  for (int j = 0; j < num_servers; ++j) append_feature_rows(d, server, S, fmt::format("server{}.", j));
  return d;
}

}  // namespace

void append_feature_rows(SpaceDoc& doc, const FeatureDoc* rows, size_t count, const std::string& prefix) {
  for (size_t k = 0; k < count; ++k) {
    doc.features.push_back({prefix + rows[k].name, rows[k].unit, rows[k].definition, split_keys(rows[k].config_keys)});
  }
}

SpaceDoc offload::describe_spaces(int num_servers) {
  SpaceDoc d = user_and_server_rows(offload::kUserFeatureDocs, offload::kServerFeatureDocs, num_servers);
  d.actions = local_or_server_actions(num_servers, "answer on the device with the compact on-device model",
                                      "upload the prompt to edge server {} and answer with its full model");
  d.rows = "one row per user of the cell, every slot; only rows with decide = 1 (feature 0) are decisions: the "
           "env ignores the action of every other row";
  d.masking = "none: every action is always allowed (omit action_mask)";
  return d;
}

SpaceDoc uncertainty::describe_spaces(int num_servers, bool join_view) {
  SpaceDoc d = user_and_server_rows(uncertainty::kUserFeatureDocs, uncertainty::kServerFeatureDocs, num_servers);
  if (join_view) {
    const SpaceDoc join = user_and_server_rows(uncertainty::kJoinFeatureDocs, uncertainty::kJoinServerFeatureDocs,
                                               num_servers);
    d.features.insert(d.features.end(), join.features.begin(), join.features.end());
  }
  d.actions = local_or_server_actions(num_servers, "answer on the device with the small language model",
                                      "offload the query to edge server {} (large language model)");
  d.rows = join_view ? "one row per user of the snapshot, twice: the proposal pass (proposal_pass = 1; its actions "
                       "only load the servers), then the decision that counts, whose rows show the proposals' load"
                     : "one row per user of the snapshot; every row is a decision (one per user per snapshot)";
  d.masking = "action 0 (local) is forbidden for users with must_offload = 1 (alpha > tau, feature 1): pass "
              "action_mask with 0 at action 0 for those rows and 1 elsewhere";
  return d;
}

SpaceDoc cartpole::describe_spaces() {
  SpaceDoc d;
  append_feature_rows(d, kFeatureDocs, std::size(kFeatureDocs));
  d.actions = {{"push_left", "push the cart to the left (force -force_mag)"},
               {"push_right", "push the cart to the right (force +force_mag)"}};
  d.rows = "one row per step; every row is a decision";
  d.masking = "none: both actions are always allowed (omit action_mask)";
  return d;
}

}  // namespace mecrl
