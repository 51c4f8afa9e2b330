// A YAML config file as flat dotted keys ("env.server.gpu"), each with its
// value (a scalar, or a list of scalars) and the line it came from: the
// layers core/config.cpp stacks. Read with libyaml's event parser, which is
// linear in the file's size (a 50 MB file in ~2 s; see bench/bm_config.cpp).
//
// Everything YAML allows but a config cannot mean is an error naming the
// file and line, never a silent choice: a second document, a key given twice
// (also as a dotted and a nested spelling of the same key), a list or a
// mapping used as a key, a list of lists, an alias to no anchor, and aliases
// that expand to far more keys than the file has bytes ("billion laughs").
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"

namespace mecrl {

struct FlatYaml {
  std::vector<std::pair<std::string, ConfigValue>> entries;  // in document order; `order` is unset
  bool names_base = false;                                   // the file has a top-level `base:` key
  std::vector<std::string> base;                             // its file names
  std::string base_origin;                                   // "path:line" of `base:`
};

// `text` is the file's content; `path` prefixes every origin and message.
FlatYaml flatten_yaml(std::string_view text, const std::string& path);

// A value given on the command line ("50", "[L4, A100_80GB]", "") read as
// YAML: a scalar or a list of scalars. `origin` and `key` name it in errors.
ConfigValue parse_yaml_value(const std::string& text, const std::string& key, const std::string& origin);

}  // namespace mecrl
