#include "core/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/yaml_flat.h"

namespace fs = std::filesystem;

namespace mecrl {
namespace {

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

// Parses as a number, just not a finite one ("nan", "inf", "1e999").
bool non_finite(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && !std::isfinite(v);
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
  std::vector<std::string> chain;
  c.load_file(path, chain, "");
  return c;
}

// `chain`: the files whose `base:` led here (cycle check); `named_by`: the
// origin of that `base:` ("" for the file given on the command line).
void Config::load_file(const std::string& path, std::vector<std::string>& chain, const std::string& named_by) {
  const std::string where = named_by.empty() ? path : fmt::format("{}: base file {}", named_by, path);
  std::error_code ec;
  const std::string id = fs::weakly_canonical(path, ec).string();
  if (std::find(chain.begin(), chain.end(), id) != chain.end()) {
    throw UsageError(fmt::format("{}: `base:` cycle (the file is its own base)", where));
  }
  if (chain.size() >= 8) throw UsageError(fmt::format("{}: `base:` chain deeper than 8 files", where));
  std::string text;
  try {
    text = read_file(path);
  } catch (const IoError& e) {
    throw UsageError(fmt::format("{}: cannot open config file ({})", where, std::strerror(e.code())));
  }
  FlatYaml flat = flatten_yaml(text, path);
  if (chain.empty()) names_base_ = flat.names_base;
  chain.push_back(id);
  const fs::path dir = fs::path(path).parent_path();
  for (const auto& f : flat.base) load_file((dir / f).lexically_normal().string(), chain, flat.base_origin);
  chain.pop_back();
  files_.push_back(id);
  for (auto& [key, value] : flat.entries) put(key, std::move(value));
}

void Config::put(const std::string& key, ConfigValue v) {
  const auto [it, fresh] = entries_.try_emplace(key);
  v.order = fresh ? next_order_++ : it->second.order;
  it->second = std::move(v);
}

void Config::merge(const Config& top) {
  std::vector<std::pair<long, const std::pair<const std::string, ConfigValue>*>> ordered;
  for (const auto& kv : top.entries_) ordered.emplace_back(kv.second.order, &kv);
  std::sort(ordered.begin(), ordered.end());
  for (const auto& [order, kv] : ordered) put(kv->first, kv->second);
  path_ = top.path_;
  names_base_ = top.names_base_;
  files_.insert(files_.end(), top.files_.begin(), top.files_.end());
}

void Config::set(const std::string& key, const std::string& value, const std::string& origin) {
  put(key, parse_yaml_value(value, key, origin));
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
                          const std::string& doc, const ConfigValue* from, bool is_list) {
  for (const auto& k : resolved_) {
    if (k.key == key) return;
  }
  resolved_.push_back(ResolvedKey{key, value, allowed, doc, from ? from->origin : "default", is_list});
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

namespace {

// Why a number is not allowed ("" if it is): outside the range, or a float
// that single precision would flush to zero / round to infinity.
std::string real_problem(double x, double lo, double hi, bool lo_open, bool as_float) {
  if (x < lo || x > hi || (lo_open && !(x > lo))) return "";  // the caller reports the range
  if (as_float && x != 0 && std::fabs(x) < FLT_MIN) {
    return fmt::format("is below the smallest single-precision magnitude {:g} (it would become 0)", FLT_MIN);
  }
  if (as_float && std::fabs(x) > FLT_MAX) {
    return fmt::format("exceeds the largest single-precision magnitude {:g}", FLT_MAX);
  }
  return "";
}

}  // namespace

void ConfigReader::get_real(const std::string& key, double& v, double lo, double hi, bool lo_open, bool as_float,
                            const std::string& doc) {
  const std::string allowed = range_text(lo, hi, lo_open);
  if (const ConfigValue* cv = take(key)) {
    double x = 0;
    if (cv->is_sequence || !parse_double(cv->text, x)) {
      fail(key, *cv, fmt::format("is not a {}number (allowed: {}; {})", non_finite(cv->text) ? "finite " : "", allowed, doc));
    }
    if (x < lo || x > hi || (lo_open && !(x > lo))) fail(key, *cv, fmt::format("is outside {} ({})", allowed, doc));
    if (const std::string why = real_problem(x, lo, hi, lo_open, as_float); !why.empty()) {
      fail(key, *cv, fmt::format("{} ({})", why, doc));
    }
    v = as_float ? static_cast<double>(static_cast<float>(x)) : x;
    record(key, fmt::format("{:g}", v), allowed, doc, cv);
  } else {
    record(key, fmt::format("{:g}", v), allowed, doc, nullptr);
  }
}

void ConfigReader::get(const std::string& key, double& v, double lo, double hi, const std::string& doc) {
  get_real(key, v, lo, hi, false, false, doc);
}

void ConfigReader::get(const std::string& key, float& v, double lo, double hi, const std::string& doc) {
  double d = v;
  get_real(key, d, lo, hi, false, true, doc);
  v = static_cast<float>(d);
}

void ConfigReader::get_positive(const std::string& key, float& v, double hi, const std::string& doc) {
  double d = v;
  get_real(key, d, 0, hi, true, true, doc);
  v = static_cast<float>(d);
}

void ConfigReader::get(const std::string& key, std::vector<float>& v, double lo, double hi, const std::string& doc) {
  const std::string allowed = "number or list of numbers in " + range_text(lo, hi);
  const ConfigValue* cv = take(key);
  if (cv) {
    std::vector<float> parsed;
    for (const auto& item : cv->items) {
      double x = 0;
      if (!parse_double(item, x)) {
        fail(key, *cv, fmt::format("has '{}', not a {}number (allowed: {}; {})", item, non_finite(item) ? "finite " : "",
                                   allowed, doc));
      }
      if (x < lo || x > hi) fail(key, *cv, fmt::format("has {} outside {} ({})", item, range_text(lo, hi), doc));
      if (const std::string why = real_problem(x, lo, hi, false, true); !why.empty()) {
        fail(key, *cv, fmt::format("has {}, which {} ({})", item, why, doc));
      }
      parsed.push_back(static_cast<float>(x));
    }
    v = std::move(parsed);
  }
  record(key, fmt::format("[{}]", fmt::join(v, ", ")), allowed, doc, cv, /*is_list=*/true);
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
  record(key, joined + "]", "list", doc, cfg_.find(key), /*is_list=*/true);
}

std::vector<std::string> ConfigReader::rows(const std::string& table) {
  if (std::find(tables_.begin(), tables_.end(), table) == tables_.end()) tables_.push_back(table);
  return cfg_.children(table);
}

bool ConfigReader::declared(const std::string& key) const {
  if (used_.count(key)) return true;
  for (const auto& p : allowed_prefixes_) {
    if (key.compare(0, p.size(), p) == 0) return true;
  }
  // "<table>.<row>.<field>": known if some row's field was read.
  for (const auto& t : tables_) {
    if (key.size() <= t.size() + 1 || key.compare(0, t.size(), t) != 0 || key[t.size()] != '.') continue;
    const size_t dot = key.find('.', t.size() + 1);
    if (dot == std::string::npos) return false;
    const std::string field = key.substr(dot);  // ".share"
    for (auto it = used_.lower_bound(t + "."); it != used_.end() && it->compare(0, t.size() + 1, t + ".") == 0; ++it) {
      if (it->size() > field.size() && it->compare(it->size() - field.size(), field.size(), field) == 0 &&
          it->find('.', t.size() + 1) == it->size() - field.size()) {
        return true;
      }
    }
    return false;
  }
  return false;
}

void ConfigReader::check_keys(const Config& cfg) const {
  const std::pair<const std::string, ConfigValue>* first = nullptr;
  for (const auto& kv : cfg.entries()) {
    if (!declared(kv.first) && (first == nullptr || kv.second.order < first->second.order)) first = &kv;
  }
  if (first == nullptr) return;
  const std::string& key = first->first;
  std::string best;
  int best_d = 1 << 30;
  for (const auto& k : used_) {
    const int d = edit_distance(key, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  std::string hint;
  if (!best.empty() && key.size() < 200 && best_d <= std::max<int>(3, static_cast<int>(key.size()) / 4)) {
    hint = fmt::format("; did you mean '{}'?", best);
  }
  throw UsageError(fmt::format("{}: unknown key '{}'{}", first->second.origin, key, hint));
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
    // A list is written as a flow sequence; any other value is a plain
    // scalar unless it could be read as something else (a leading '[' or
    // '-', a ': ' inside, ...), then a double-quoted one.
    const bool is_list = k.is_list;
    const std::string& v = k.value;
    const bool plain = is_list || (!v.empty() && v.find_first_of(":#{}&*!|>'\"%@`,\\") == std::string::npos &&
                                   v.front() != '[' && v.front() != ']' && v.front() != '?' && v.front() != ' ' &&
                                   v.back() != ' ' && !(v.front() == '-' && (v.size() == 1 || v[1] == ' ')));
    std::string quoted = "\"";
    for (char c : v) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    quoted += "\"";
    os << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << (plain ? v : quoted) << "  # "
       << k.doc << " (" << k.allowed << ")\n";
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
