// mecrl-policy-run: an example controller around the C ABI (mecrl_policy.h).
// Reads one observation per line from stdin and prints one decision per line:
//
//   mecrl-policy-run BUNDLE_DIR [--probs] < observations
//
//   CSV line    F numbers (the observation), optionally followed by A numbers
//               (the action mask, 0 = forbidden)  ->  "action" or "action,p0,...,pA-1"
//   JSON line   [F numbers] or {"obs": [F numbers], "action_mask": [A numbers]}
//               ->  {"action": a} or, with --probs, {"action": a, "probs": [...]}
//
// Blank lines and lines starting with '#' are skipped; output is flushed per
// line so a controller can drive it through a pipe. Bad input: one line on
// stderr naming the line, exit status 2.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "deploy/mecrl_policy.h"

namespace {

struct Decision {
  std::vector<float> obs;
  std::vector<uint8_t> mask;  // empty: every action allowed
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "mecrl-policy-run: " << what << "\n";
  std::exit(2);
}

std::vector<double> csv_numbers(const std::string& line, long line_no) {
  std::vector<double> v;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    char* end = nullptr;
    const double x = std::strtod(cell.c_str(), &end);
    while (end && (*end == ' ' || *end == '\t' || *end == '\r')) ++end;
    if (end == cell.c_str() || (end && *end != '\0')) {
      fail("stdin line " + std::to_string(line_no) + ": '" + cell + "' is not a number");
    }
    v.push_back(x);
  }
  return v;
}

std::vector<double> json_numbers(const nlohmann::json& j, const std::string& what, long line_no) {
  if (!j.is_array()) fail("stdin line " + std::to_string(line_no) + ": " + what + " is not an array");
  std::vector<double> v;
  for (const auto& x : j) {
    if (!x.is_number()) fail("stdin line " + std::to_string(line_no) + ": " + what + " has a non-number " + x.dump());
    v.push_back(x.get<double>());
  }
  return v;
}

Decision parse_line(const std::string& line, bool json, int features, int actions, long line_no) {
  std::vector<double> obs, mask;
  if (json) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      fail("stdin line " + std::to_string(line_no) + ": not valid JSON (" + e.what() + ")");
    }
    if (j.is_object()) {
      if (!j.contains("obs")) fail("stdin line " + std::to_string(line_no) + ": no \"obs\" key");
      obs = json_numbers(j["obs"], "obs", line_no);
      if (j.contains("action_mask")) mask = json_numbers(j["action_mask"], "action_mask", line_no);
    } else {
      obs = json_numbers(j, "the line", line_no);
    }
  } else {
    obs = csv_numbers(line, line_no);
    if (static_cast<int>(obs.size()) == features + actions) {
      mask.assign(obs.begin() + features, obs.end());
      obs.resize(features);
    }
  }
  if (static_cast<int>(obs.size()) != features || (!mask.empty() && static_cast<int>(mask.size()) != actions)) {
    fail("stdin line " + std::to_string(line_no) + ": expected " + std::to_string(features) +
         " observation values (then optionally " + std::to_string(actions) + " mask values), got " +
         std::to_string(obs.size()) + (mask.empty() ? "" : " + " + std::to_string(mask.size())));
  }
  Decision d;
  d.obs.assign(obs.begin(), obs.end());
  for (double m : mask) d.mask.push_back(m != 0.0 ? 1 : 0);
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "--probs")) {
    std::cerr << "usage: mecrl-policy-run BUNDLE_DIR [--probs] < observations (CSV or JSON lines)\n";
    return 2;
  }
  const bool with_probs = argc == 3;
  std::unique_ptr<mecrl_policy, void (*)(mecrl_policy*)> policy(mecrl_policy_load(argv[1]), mecrl_policy_free);
  if (!policy) fail(mecrl_policy_last_error());
  const int features = mecrl_policy_features(policy.get()), actions = mecrl_policy_actions(policy.get());
  std::cerr << "mecrl-policy-run: " << mecrl_policy_scenario(policy.get()) << " policy, " << features
            << " features -> " << actions << " actions; one observation per line\n";

  std::cout.precision(9);  // float32 round-trips
  std::string line;
  std::vector<float> probs(static_cast<size_t>(actions));
  for (long line_no = 1; std::getline(std::cin, line); ++line_no) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const bool json = line[first] == '[' || line[first] == '{';
    const Decision d = parse_line(line, json, features, actions, line_no);
    int32_t action = 0;
    if (mecrl_policy_act(policy.get(), d.obs.data(), d.mask.empty() ? nullptr : d.mask.data(), 1, &action,
                         probs.data()) != 0) {
      fail("stdin line " + std::to_string(line_no) + ": " + mecrl_policy_last_error());
    }
    if (json) {
      nlohmann::json out = {{"action", action}};
      if (with_probs) out["probs"] = probs;
      std::cout << out.dump() << std::endl;
    } else {
      std::cout << action;
      if (with_probs) {
        for (float p : probs) std::cout << ',' << p;
      }
      std::cout << std::endl;
    }
  }
  return 0;
}
