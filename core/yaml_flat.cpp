#include "core/yaml_flat.h"

#include <fmt/format.h>
#include <yaml.h>

#include <memory>
#include <unordered_map>

#include "core/error.h"

namespace mecrl {
namespace {

// Owns a libyaml parser and its current event.
class EventStream {
 public:
  EventStream(std::string_view text, std::string path) : path_(std::move(path)) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~EventStream() {
    if (have_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // The next event; a syntax error throws UsageError with file:line:column.
  const yaml_event_t& next() {
    if (have_event_) yaml_event_delete(&event_);
    have_event_ = false;
    if (!yaml_parser_parse(&parser_, &event_)) {
      const yaml_mark_t& m = parser_.problem_mark;
      std::string context;
      if (parser_.context != nullptr) {
        context = fmt::format(" ({} at line {})", parser_.context, parser_.context_mark.line + 1);
      }
      throw UsageError(fmt::format("{}:{}:{}: YAML syntax error: {}{}", path_, m.line + 1, m.column + 1,
                                   parser_.problem ? parser_.problem : "malformed input", context));
    }
    have_event_ = true;
    return event_;
  }

 private:
  std::string path_;
  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool have_event_ = false;
};

std::string as_string(const yaml_char_t* s) { return s ? reinterpret_cast<const char*>(s) : ""; }

std::string scalar_text(const yaml_event_t& ev) {
  const std::string v(reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length);
  // YAML's spellings of null, unquoted, are an empty value.
  if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
      (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL")) {
    return "";
  }
  return v;
}

bool is_null(const yaml_event_t& ev) { return ev.type == YAML_SCALAR_EVENT && scalar_text(ev).empty() &&
                                              ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE; }

std::string join_items(const std::vector<std::string>& items) {
  std::string joined;
  for (size_t k = 0; k < items.size(); ++k) joined += (k ? "," : "") + items[k];
  return joined;
}

// What an anchor stands for, for its aliases.
struct Anchored {
  bool is_map = false;
  ConfigValue value;                                         // scalar or list
  std::vector<std::pair<std::string, ConfigValue>> entries;  // a map: keys relative to it
};

class Flattener {
 public:
  Flattener(std::string_view text, const std::string& path)
      : events_(text, path), path_(path), budget_(16 * text.size() + 1024) {
    index_.reserve(text.size() / 16);  // ~ the keys of a plain file: no rehashing of large ones
  }

  FlatYaml run() {
    expect(events_.next(), YAML_STREAM_START_EVENT);
    int documents = 0;
    for (;;) {
      const yaml_event_t& ev = events_.next();
      if (ev.type == YAML_STREAM_END_EVENT) break;
      if (ev.type != YAML_DOCUMENT_START_EVENT) throw UsageError(fmt::format("{}: malformed YAML stream", path_));
      if (++documents > 1) {
        throw UsageError(fmt::format("{}:{}: a second YAML document ('---'); a config file holds one mapping",
                                     path_, ev.start_mark.line + 1));
      }
      document();
    }
    return std::move(out_);
  }

 private:
  std::string origin(size_t line0) const { return fmt::format("{}:{}", path_, line0 + 1); }

  void expect(const yaml_event_t& ev, yaml_event_type_t type) {
    if (ev.type != type) throw UsageError(fmt::format("{}: malformed YAML stream", path_));
  }

  void document() {
    const yaml_event_t& root = events_.next();
    if (root.type == YAML_MAPPING_START_EVENT) {
      mapping("", as_string(root.data.mapping_start.anchor));
    } else if (!is_null(root)) {  // an empty document is an empty layer
      throw UsageError(fmt::format("{}:{}: a config file must be a mapping of keys", path_, root.start_mark.line + 1));
    }
    expect(events_.next(), YAML_DOCUMENT_END_EVENT);
  }

  // The events of one mapping after its start, up to its end. `prefix`: the
  // dotted key of the mapping ("" at the top).
  void mapping(const std::string& prefix, const std::string& anchor) {
    const size_t first = out_.entries.size();
    for (;;) {
      const yaml_event_t& k = events_.next();
      if (k.type == YAML_MAPPING_END_EVENT) break;
      const size_t line0 = k.start_mark.line;
      if (k.type != YAML_SCALAR_EVENT) {
        throw UsageError(fmt::format("{}: a key must be a plain name, not {}", origin(line0),
                                     k.type == YAML_SEQUENCE_START_EVENT  ? "a list"
                                     : k.type == YAML_MAPPING_START_EVENT ? "a mapping"
                                                                          : "an alias"));
      }
      const std::string name = scalar_text(k);
      if (name.empty()) throw UsageError(fmt::format("{}: empty key", origin(line0)));
      const std::string key = prefix.empty() ? name : prefix + "." + name;
      value(key, line0, prefix.empty() && name == "base");
    }
    if (!anchor.empty()) {
      Anchored a;
      a.is_map = true;
      for (size_t k = first; k < out_.entries.size(); ++k) {
        const auto& [key, v] = out_.entries[k];
        a.entries.emplace_back(prefix.empty() ? key : key.substr(prefix.size() + 1), v);
      }
      anchors_[anchor] = std::move(a);
    }
  }

  // The value of `key`, whose name is on line line0 (0-based).
  void value(const std::string& key, size_t line0, bool is_base) {
    const yaml_event_t& ev = events_.next();
    ConfigValue cv;
    cv.origin = origin(line0);
    switch (ev.type) {
      case YAML_SCALAR_EVENT: {
        cv.text = scalar_text(ev);
        cv.items = {cv.text};
        remember(as_string(ev.data.scalar.anchor), cv);
        break;
      }
      case YAML_SEQUENCE_START_EVENT: {
        const std::string anchor = as_string(ev.data.sequence_start.anchor);
        cv.is_sequence = true;
        cv.items = sequence(key, cv.origin, is_base);
        cv.text = join_items(cv.items);
        remember(anchor, cv);
        break;
      }
      case YAML_MAPPING_START_EVENT:
        if (is_base) throw base_error(cv.origin);
        mapping(key, as_string(ev.data.mapping_start.anchor));
        return;
      case YAML_ALIAS_EVENT: {
        const std::string name = as_string(ev.data.alias.anchor);
        const auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          throw UsageError(fmt::format("{}: alias '*{}' refers to no anchor defined before it", cv.origin, name));
        }
        if (it->second.is_map) {
          if (is_base) throw base_error(cv.origin);
          for (const auto& [rel, v] : it->second.entries) {
            ConfigValue copy = v;
            copy.origin = cv.origin;
            add(key + "." + rel, std::move(copy));
          }
          return;
        }
        const std::string origin_here = cv.origin;
        cv = it->second.value;
        cv.origin = origin_here;
        break;
      }
      default: throw UsageError(fmt::format("{}: malformed YAML stream", cv.origin));
    }
    if (is_base) {
      if (out_.names_base) throw UsageError(fmt::format("{}: base is set twice in this file", cv.origin));
      out_.names_base = true;
      out_.base_origin = cv.origin;
      if (cv.is_sequence || !cv.text.empty()) out_.base = cv.items;
      return;
    }
    add(key, std::move(cv));
  }

  // Items of a list of scalars (after its start event).
  std::vector<std::string> sequence(const std::string& key, const std::string& where, bool is_base) {
    std::vector<std::string> items;
    for (;;) {
      const yaml_event_t& ev = events_.next();
      if (ev.type == YAML_SEQUENCE_END_EVENT) return items;
      if (ev.type == YAML_SCALAR_EVENT && !is_null(ev)) {
        items.push_back(scalar_text(ev));
        remember(as_string(ev.data.scalar.anchor), ConfigValue{items.back(), {items.back()}, false, where, 0});
      } else if (ev.type == YAML_ALIAS_EVENT && anchors_.count(as_string(ev.data.alias.anchor)) &&
                 !anchors_.at(as_string(ev.data.alias.anchor)).is_map &&
                 !anchors_.at(as_string(ev.data.alias.anchor)).value.is_sequence) {
        items.push_back(anchors_.at(as_string(ev.data.alias.anchor)).value.text);
      } else {
        if (is_base) throw base_error(where);
        throw UsageError(fmt::format("{}: {} must be a list of plain values", where, key));
      }
      spend(1, where);
    }
  }

  void remember(const std::string& anchor, const ConfigValue& v) {
    if (anchor.empty()) return;
    Anchored a;
    a.value = v;
    anchors_[anchor] = std::move(a);
  }

  void add(const std::string& key, ConfigValue cv) {
    spend(1, cv.origin);
    const auto [it, fresh] = index_.emplace(key, out_.entries.size());
    if (!fresh) {
      throw UsageError(fmt::format("{}: {} is set twice in this file (first at {}; a dotted and a nested spelling "
                                   "name the same key)",
                                   cv.origin, key, out_.entries[it->second].second.origin));
    }
    out_.entries.emplace_back(key, std::move(cv));
  }

  // Aliases can make a few bytes expand to exponentially many keys; no real
  // config comes near 16 keys or items per byte.
  void spend(size_t n, const std::string& where) {
    if (n > budget_) {
      throw UsageError(fmt::format("{}: aliases expand to more than 16 keys per byte of the file (a 'billion "
                                   "laughs' document?)",
                                   where));
    }
    budget_ -= n;
  }

  UsageError base_error(const std::string& where) const {
    return UsageError(fmt::format("{}: base must be a file name or a list of file names", where));
  }

  EventStream events_;
  std::string path_;
  size_t budget_;
  FlatYaml out_;
  std::unordered_map<std::string, Anchored> anchors_;
  std::unordered_map<std::string, size_t> index_;  // key -> its entry (a key given twice is an error)
};

}  // namespace

FlatYaml flatten_yaml(std::string_view text, const std::string& path) { return Flattener(text, path).run(); }

ConfigValue parse_yaml_value(const std::string& text, const std::string& key, const std::string& origin) {
  // As the value of a one-key document, so a list, a scalar and an empty
  // value read exactly as they would in a file.
  const std::string doc = "v: " + text + "\n";
  FlatYaml flat;
  try {
    flat = flatten_yaml(doc, origin);
  } catch (const UsageError&) {
    throw UsageError(fmt::format("{}: {} = '{}' is not a valid value (a number, a word, or a list [a, b])", origin,
                                 key, text));
  }
  if (flat.entries.size() != 1 || flat.entries[0].first != "v") {
    throw UsageError(fmt::format("{}: {} = '{}': set nested keys one by one (a.b=1)", origin, key, text));
  }
  ConfigValue cv = std::move(flat.entries[0].second);
  cv.origin = origin;
  return cv;
}

}  // namespace mecrl
