#include "core/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.h"

namespace fs = std::filesystem;

namespace mecrl {
namespace {

std::string origin_of(const std::string& path, const YAML::Node& node) {
  return fmt::format("{}:{}", path, node.Mark().line + 1);
}

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& path,
             std::map<std::string, ConfigValue>& out, long& seq) {
  for (const auto& kv : node) {
    const std::string name = kv.first.as<std::string>();
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    const YAML::Node& v = kv.second;
    if (v.IsMap()) {
      flatten(v, key, path, out, seq);
      continue;
    }
    ConfigValue cv;
    cv.origin = origin_of(path, kv.first);
    cv.order = seq++;
    if (v.IsSequence()) {
      cv.is_sequence = true;
      for (const auto& item : v) {
        if (!item.IsScalar()) {
          throw UsageError(fmt::format("{}: {} must be a list of plain values", cv.origin, key));
        }
        cv.items.push_back(item.Scalar());
      }
      std::string joined;
      for (size_t k = 0; k < cv.items.size(); ++k) joined += (k ? "," : "") + cv.items[k];
      cv.text = joined;
    } else {
      cv.text = v.IsNull() ? "" : v.Scalar();
      cv.items = {cv.text};
    }
    out[key] = cv;
  }
}

int edit_distance(const std::string& a, const std::string& b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string range_text(double lo, double hi, bool lo_open = false) {
  return fmt::format("{}{:g}, {:g}]", lo_open ? "(" : "[", lo, hi);
}

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno == 0 && std::isfinite(out);
}

bool parse_int64(const std::string& s, long long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoll(s.c_str(), &end, 10);
  return end == s.c_str() + s.size() && errno == 0;
}

}  // namespace

// ---------------------------------------------------------------- Config

Config Config::load(const std::string& path) {
  Config c;
  c.path_ = path;
  c.load_file(path, 0);
  return c;
}

void Config::load_file(const std::string& path, int depth) {
  if (depth > 8) throw UsageError(fmt::format("{}: `base:` chain deeper than 8 files (a cycle?)", path));
  std::ifstream in(path);
  if (!in) {
    throw UsageError(fmt::format("{}: cannot open config file ({})", path, std::strerror(errno)));
  }
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::ParserException& ex) {
    throw UsageError(fmt::format("{}:{}:{}: YAML syntax error: {}", path, ex.mark.line + 1, ex.mark.column + 1,
                                 ex.msg));
  }
  if (root.IsNull()) return;  // an empty file is an empty layer
  if (!root.IsMap()) throw UsageError(fmt::format("{}:1: a config file must be a mapping of keys", path));
  if (const YAML::Node base = root["base"]) {
    const fs::path dir = fs::path(path).parent_path();
    std::vector<std::string> files;
    if (base.IsSequence()) {
      for (const auto& b : base) files.push_back(b.as<std::string>());
    } else {
      files.push_back(base.as<std::string>());
    }
    for (const auto& f : files) load_file((dir / f).lexically_normal().string(), depth + 1);
  }
  std::map<std::string, ConfigValue> flat;
  long seq = 0;
  for (const auto& kv : root) {
    if (kv.first.as<std::string>() == "base") continue;
    YAML::Node one;
    one[kv.first] = kv.second;
    flatten(one, "", path, flat, seq);
  }
  // yaml-cpp iterates mappings in document order; keep that order per file.
  std::vector<std::pair<long, std::string>> ordered;
  for (auto& [k, v] : flat) ordered.emplace_back(v.order, k);
  std::sort(ordered.begin(), ordered.end());
  for (auto& [o, k] : ordered) put(k, flat[k]);
}

void Config::put(const std::string& key, ConfigValue v) {
  const auto it = entries_.find(key);
  v.order = it != entries_.end() ? it->second.order : next_order_++;
  entries_[key] = std::move(v);
}

void Config::set(const std::string& key, const std::string& value, const std::string& origin) {
  ConfigValue cv;
  cv.origin = origin;
  YAML::Node node;
  try {
    node = YAML::Load(value);
  } catch (const YAML::ParserException& ex) {
    throw UsageError(fmt::format("{}: {} = '{}' is not a valid value: {}", origin, key, value, ex.msg));
  }
  if (node.IsSequence()) {
    cv.is_sequence = true;
    for (const auto& item : node) cv.items.push_back(item.Scalar());
    std::string joined;
    for (size_t k = 0; k < cv.items.size(); ++k) joined += (k ? "," : "") + cv.items[k];
    cv.text = joined;
  } else if (node.IsMap()) {
    throw UsageError(fmt::format("{}: {} = '{}': set nested keys one by one (a.b=1)", origin, key, value));
  } else {
    cv.text = node.IsNull() ? "" : node.Scalar();
    cv.items = {cv.text};
  }
  put(key, cv);
}

void Config::override_with(const std::vector<std::string>& assignments) {
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    const std::string origin = fmt::format("command line '{}'", a);
    if (eq == std::string::npos || eq == 0) {
      throw UsageError(fmt::format("{}: expected key=value (e.g. env.num_users=50)", origin));
    }
    set(a.substr(0, eq), a.substr(eq + 1), origin);
  }
}

const ConfigValue* Config::find(const std::string& key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> Config::children(const std::string& prefix) const {
  std::vector<std::pair<long, std::string>> found;  // (first appearance, name)
  const std::string p = prefix + ".";
  for (auto it = entries_.lower_bound(p); it != entries_.end() && it->first.compare(0, p.size(), p) == 0; ++it) {
    const std::string rest = it->first.substr(p.size());
    const std::string name = rest.substr(0, rest.find('.'));
    auto same = std::find_if(found.begin(), found.end(), [&](const auto& f) { return f.second == name; });
    if (same == found.end()) {
      found.emplace_back(it->second.order, name);
    } else {
      same->first = std::min(same->first, it->second.order);
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& f : found) names.push_back(f.second);
  return names;
}

// ---------------------------------------------------------------- ConfigReader

const ConfigValue* ConfigReader::take(const std::string& key) {
  used_.insert(key);
  return cfg_.find(key);
}

void ConfigReader::fail(const std::string& key, const ConfigValue& v, const std::string& what) const {
  throw UsageError(fmt::format("{}: {} = '{}' {}", v.origin, key, v.text, what));
}

void ConfigReader::record(const std::string& key, const std::string& value, const std::string& allowed,
                          const std::string& doc, const ConfigValue* from) {
  for (const auto& k : resolved_) {
    if (k.key == key) return;
  }
  resolved_.push_back(ResolvedKey{key, value, allowed, doc, from ? from->origin : "default"});
}

void ConfigReader::get(const std::string& key, long long& v, long long lo, long long hi, const std::string& doc) {
  const std::string allowed = fmt::format("integer in [{}, {}]", lo, hi);
  if (const ConfigValue* cv = take(key)) {
    long long x = 0;
    if (cv->is_sequence || !parse_int64(cv->text, x)) fail(key, *cv, fmt::format("is not an integer (allowed: {}; {})", allowed, doc));
    if (x < lo || x > hi) fail(key, *cv, fmt::format("is outside [{}, {}] ({})", lo, hi, doc));
    v = x;
    record(key, std::to_string(v), allowed, doc, cv);
  } else {
    record(key, std::to_string(v), allowed, doc, nullptr);
  }
}

void ConfigReader::get(const std::string& key, int& v, int lo, int hi, const std::string& doc) {
  long long x = v;
  get(key, x, lo, hi, doc);
  v = static_cast<int>(x);
}

void ConfigReader::get(const std::string& key, uint64_t& v, const std::string& doc) {
  const std::string allowed = "integer in [0, 2^63)";
  if (const ConfigValue* cv = take(key)) {
    long long x = 0;
    if (cv->is_sequence || !parse_int64(cv->text, x)) fail(key, *cv, fmt::format("is not an integer (allowed: {}; {})", allowed, doc));
    if (x < 0) fail(key, *cv, fmt::format("is outside [0, 2^63) ({})", doc));
    v = static_cast<uint64_t>(x);
    record(key, std::to_string(v), allowed, doc, cv);
  } else {
    record(key, std::to_string(v), allowed, doc, nullptr);
  }
}

void ConfigReader::get(const std::string& key, double& v, double lo, double hi, const std::string& doc) {
  const std::string allowed = range_text(lo, hi);
  if (const ConfigValue* cv = take(key)) {
    double x = 0;
    if (cv->is_sequence || !parse_double(cv->text, x)) fail(key, *cv, fmt::format("is not a number (allowed: {}; {})", allowed, doc));
    if (x < lo || x > hi) fail(key, *cv, fmt::format("is outside {} ({})", allowed, doc));
    v = x;
    record(key, fmt::format("{:g}", v), allowed, doc, cv);
  } else {
    record(key, fmt::format("{:g}", v), allowed, doc, nullptr);
  }
}

void ConfigReader::get(const std::string& key, float& v, double lo, double hi, const std::string& doc) {
  double d = v;
  get(key, d, lo, hi, doc);
  v = static_cast<float>(d);
}

void ConfigReader::get_positive(const std::string& key, float& v, double hi, const std::string& doc) {
  const std::string allowed = range_text(0, hi, /*lo_open=*/true);
  if (const ConfigValue* cv = take(key)) {
    double x = 0;
    if (cv->is_sequence || !parse_double(cv->text, x)) fail(key, *cv, fmt::format("is not a number (allowed: {}; {})", allowed, doc));
    if (!(x > 0) || x > hi) fail(key, *cv, fmt::format("is outside {} ({})", allowed, doc));
    v = static_cast<float>(x);
    record(key, fmt::format("{:g}", v), allowed, doc, cv);
  } else {
    record(key, fmt::format("{:g}", v), allowed, doc, nullptr);
  }
}

void ConfigReader::get(const std::string& key, bool& v, const std::string& doc) {
  if (const ConfigValue* cv = take(key)) {
    const std::string& s = cv->text;
    if (s == "true" || s == "True" || s == "yes") {
      v = true;
    } else if (s == "false" || s == "False" || s == "no") {
      v = false;
    } else {
      fail(key, *cv, fmt::format("is not a boolean (allowed: true | false; {})", doc));
    }
    record(key, v ? "true" : "false", "true | false", doc, cv);
  } else {
    record(key, v ? "true" : "false", "true | false", doc, nullptr);
  }
}

void ConfigReader::get(const std::string& key, std::string& v, const std::vector<std::string>& choices,
                       const std::string& doc) {
  std::string allowed = "any string";
  if (!choices.empty()) {
    allowed.clear();
    for (size_t k = 0; k < choices.size(); ++k) allowed += (k ? " | " : "") + choices[k];
  }
  if (const ConfigValue* cv = take(key)) {
    if (cv->is_sequence) fail(key, *cv, fmt::format("must be a single value (allowed: {}; {})", allowed, doc));
    if (!choices.empty() && std::find(choices.begin(), choices.end(), cv->text) == choices.end()) {
      fail(key, *cv, fmt::format("is not one of {} ({})", allowed, doc));
    }
    v = cv->text;
    record(key, v, allowed, doc, cv);
  } else {
    record(key, v, allowed, doc, nullptr);
  }
}

void ConfigReader::get_list(const std::string& key, std::vector<std::string>& v, const std::string& doc) {
  if (const ConfigValue* cv = take(key)) v = cv->items;
  std::string joined = "[";
  for (size_t k = 0; k < v.size(); ++k) joined += (k ? ", " : "") + v[k];
  record(key, joined + "]", "list", doc, cfg_.find(key));
}

void ConfigReader::finish() const {
  std::vector<std::string> known(used_.begin(), used_.end());
  for (const auto& [key, value] : cfg_.entries()) {
    if (used_.count(key)) continue;
    bool allowed = false;
    for (const auto& p : allowed_prefixes_) allowed = allowed || key.compare(0, p.size(), p) == 0;
    if (allowed) continue;
    std::string best;
    int best_d = 1 << 30;
    for (const auto& k : known) {
      const int d = edit_distance(key, k);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    std::string hint;
    if (!best.empty() && best_d <= std::max<int>(3, static_cast<int>(key.size()) / 4)) {
      hint = fmt::format("; did you mean '{}'?", best);
    }
    throw UsageError(fmt::format("{}: unknown key '{}'{}", value.origin, key, hint));
  }
}

// ---------------------------------------------------------------- output

void write_config_yaml(std::ostream& os, const std::vector<ResolvedKey>& keys) {
  std::vector<ResolvedKey> sorted = keys;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  std::vector<std::string> open;  // currently open nesting path
  for (const auto& k : sorted) {
    std::vector<std::string> parts;
    std::stringstream ss(k.key);
    for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
    size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common]) ++common;
    open.resize(common);
    for (size_t d = common; d + 1 < parts.size(); ++d) {
      os << std::string(2 * d, ' ') << parts[d] << ":\n";
      open.push_back(parts[d]);
    }
    // Lists (get_list records them as "[a, b]") stay flow sequences; any
    // other value YAML could misread ("[pub] NVIDIA ...", "a: b") is quoted.
    const bool is_list = k.allowed == "list";
    const bool plain =
        is_list || (!k.value.empty() && k.value.find_first_of(":#{}[]&*!|>'\"%@`,\\") == std::string::npos);
    std::string quoted = "\"";
    for (const char c : k.value) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    os << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << (plain ? k.value : quoted + "\"")
       << "  # " << k.doc << " (" << k.allowed << ")\n";
  }
}

void print_config_table(std::ostream& os, const std::vector<ResolvedKey>& keys) {
  size_t wk = 3, wv = 5;
  for (const auto& k : keys) {
    wk = std::max(wk, k.key.size());
    wv = std::max(wv, std::min<size_t>(k.value.size(), 40));
  }
  const std::string rule = "+" + std::string(wk + 2, '-') + "+" + std::string(wv + 2, '-') + "+\n";
  os << rule << fmt::format("| {:<{}} | {:<{}} |\n", "key", wk, "value", wv) << rule;
  for (const auto& k : keys) os << fmt::format("| {:<{}} | {:<{}} |\n", k.key, wk, k.value, wv);
  os << rule;
}

}  // namespace mecrl
