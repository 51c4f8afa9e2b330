// Layered YAML configuration: `base:` files <- this file <- key=value
// overrides, flattened to dotted keys ("env.num_users"). Every key a command
// reads is declared with a type, an allowed range and a doc line; keys nobody
// declared are errors, so a typo never silently runs the wrong experiment.
//
// Errors are UsageError with the origin of the offending value:
//   configs/offload.yaml:12: env.num_users = 5000 is outside [1, 1024] (users per cell)
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace mecrl {

struct ConfigValue {
  std::string text;                // scalar text; for a sequence, its items joined by ','
  std::vector<std::string> items;  // sequence items (a scalar is a one-item list)
  bool is_sequence = false;
  std::string origin;              // "path:line" or "command line"
  long order = 0;                  // first appearance, so tables keep document order
};

class Config {
 public:
  // Loads `path` after the files named by its `base:` key (relative to it).
  static Config load(const std::string& path);
  // Applies "a.b=value" assignments (value read as YAML: scalar or [x, y]).
  void override_with(const std::vector<std::string>& assignments);
  // Puts every value of `top` over this config's (origins kept); the
  // result's path is top's.
  void merge(const Config& top);

  const ConfigValue* find(const std::string& key) const;
  // Names directly under `prefix` ("tables.models" -> {"llama31_8b_bf16", ...}),
  // in the order they first appear in the files.
  std::vector<std::string> children(const std::string& prefix) const;
  const std::map<std::string, ConfigValue>& entries() const { return entries_; }
  const std::string& path() const { return path_; }
  // Whether the file given to load() has a `base:` key (it then says itself
  // what it builds on), and every file loaded, normalised.
  bool names_base() const { return names_base_; }
  const std::vector<std::string>& files() const { return files_; }
  void set(const std::string& key, const std::string& value, const std::string& origin);

 private:
  void load_file(const std::string& path, std::vector<std::string>& chain, const std::string& named_by);
  void put(const std::string& key, ConfigValue v);
  std::map<std::string, ConfigValue> entries_;
  long next_order_ = 0;
  std::string path_;
  bool names_base_ = false;
  std::vector<std::string> files_;
};

// One declared key, as resolved (for printing and for config.yaml in run dirs).
struct ResolvedKey {
  std::string key, value, allowed, doc, origin;
  bool is_list = false;  // value is "[a, b, ...]": written back as a YAML flow sequence
};

class ConfigReader {
 public:
  explicit ConfigReader(const Config& cfg) : cfg_(cfg) {}

  void get(const std::string& key, int& v, int lo, int hi, const std::string& doc);
  void get(const std::string& key, long long& v, long long lo, long long hi, const std::string& doc);
  void get(const std::string& key, uint64_t& v, const std::string& doc);
  // Numbers must be finite; a float must also keep its magnitude in single
  // precision (1e-300 would become 0, 1e39 infinity).
  void get(const std::string& key, float& v, double lo, double hi, const std::string& doc);
  void get(const std::string& key, double& v, double lo, double hi, const std::string& doc);
  // Strictly positive lower bound: (0, hi].
  void get_positive(const std::string& key, float& v, double hi, const std::string& doc);
  // A number or a list of numbers, each in [lo, hi] (v keeps its default if
  // the key is absent).
  void get(const std::string& key, std::vector<float>& v, double lo, double hi, const std::string& doc);
  void get(const std::string& key, bool& v, const std::string& doc);
  // choices empty: any string.
  void get(const std::string& key, std::string& v, const std::vector<std::string>& choices,
           const std::string& doc);
  void get_list(const std::string& key, std::vector<std::string>& v, const std::string& doc);

  // The row names of a table ("tables.models" -> {"llama31_8b_bf16", ...}),
  // in file order. Declares the table: for check_keys(), a key
  // "tables.models.<any row>.<field>" is known once one row's field was read.
  std::vector<std::string> rows(const std::string& table);

  // Keys under `prefix` are read by someone else (e.g. agent keys during eval).
  void allow_prefix(const std::string& prefix) { allowed_prefixes_.push_back(prefix); }
  // Throws on any key in the config that no get() asked for.
  void finish() const { check_keys(cfg_); }
  // Throws UsageError on the first key of `cfg` (in file order) that this
  // reader did not declare: a reader that has read a scenario's defaults
  // knows every key before any value of `cfg` is judged.
  void check_keys(const Config& cfg) const;

  const Config& config() const { return cfg_; }
  const std::vector<ResolvedKey>& resolved() const { return resolved_; }

 private:
  const ConfigValue* take(const std::string& key);
  bool declared(const std::string& key) const;
  void get_real(const std::string& key, double& v, double lo, double hi, bool lo_open, bool as_float,
                const std::string& doc);
  [[noreturn]] void fail(const std::string& key, const ConfigValue& v, const std::string& what) const;
  void record(const std::string& key, const std::string& value, const std::string& allowed,
              const std::string& doc, const ConfigValue* from, bool is_list = false);
  const Config& cfg_;
  std::set<std::string> used_;
  std::vector<std::string> allowed_prefixes_;
  std::vector<std::string> tables_;
  std::vector<ResolvedKey> resolved_;
};

// Writes resolved keys back as nested YAML, a comment with doc/range per key.
void write_config_yaml(std::ostream& os, const std::vector<ResolvedKey>& keys);
// A table of the resolved keys for the start of a run (llm.c style).
void print_config_table(std::ostream& os, const std::vector<ResolvedKey>& keys);

}  // namespace mecrl
