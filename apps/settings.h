// Every key a config may hold, read the same way by every command: the
// scenario's parameters, its evaluation protocol and the learner's settings.
// A command that uses only some of them still checks all of them, so a typo
// in eval.* stops `train` too and one config serves train and eval alike.
#pragma once

#include <vector>

#include "agents/agent_config.h"
#include "apps/env_factory.h"
#include "core/config.h"

namespace mecrl::app {

struct Settings {
  EnvFactory env;
  EvalProtocol eval;
  agents::AgentConfig agent;
  std::vector<ResolvedKey> resolved;  // every key as read (config.yaml, `mecrl config`)
};

// Reads every key of `cfg`. An unknown key is reported before any value is
// judged: the keys a config may hold are taken from a first read of the
// scenario's preset (configs/<scenario>.yaml), which is valid by
// construction, so a misspelt key is never hidden behind the error its
// misspelling causes (tests/apps/test_config_preset.cpp).
Settings read_settings(const Config& cfg);

// Where `key`'s value came from: "file:line", "command line '...'" or "default".
std::string origin_of(const Settings& s, const std::string& key);

// The scenario's eval keys and eval.deterministic, through `r`.
EvalProtocol read_eval_protocol(const std::string& scenario, ConfigReader& r);

}  // namespace mecrl::app
