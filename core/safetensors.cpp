#include "core/safetensors.h"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"

namespace mecrl {

namespace {

using nlohmann::json;

// The reference implementation refuses larger headers (a header that big is
// either corrupt or an attempt to exhaust memory).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Bytes of `shape` in `dtype`, or false on overflow (the caller reports it).
bool shape_bytes(const std::vector<int64_t>& shape, size_t elem_bytes, uint64_t& out) {
  uint64_t n = elem_bytes;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return false;
  }
  out = n;
  return true;
}

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// nlohmann keeps the last of duplicate keys silently; the format forbids
// duplicates, so the parse callback tracks the keys of each open object.
struct DuplicateKeyFinder {
  std::vector<std::set<std::string>> open_objects;
  std::string problem;

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && problem.empty()) {
        problem = open_objects.size() == 1 ? fmt::format("duplicate tensor name '{}'", key)
                                           : fmt::format("duplicate key '{}' in the header", key);
      }
    }
    return true;
  }
};

bool as_u64(const json& v, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

struct Entry {
  std::string name;
  TensorBlob blob;
  uint64_t begin = 0, end = 0;
};

// All checks of one header entry except those that need the other entries.
Entry parse_entry(const std::string& name, const json& v, uint64_t buffer_bytes, const std::string& origin) {
  auto fail = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(fmt::format("safetensors file '{}': tensor '{}': {}", origin, name, what));
  };
  if (!v.is_object()) throw fail("entry is not a JSON object");
  for (const auto& [key, unused] : v.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") throw fail(fmt::format("unexpected field '{}'", key));
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!v.contains(key)) throw fail(fmt::format("missing field '{}'", key));
  }
  Entry e;
  e.name = name;
  if (!v["dtype"].is_string()) throw fail("dtype is not a string");
  e.blob.dtype = v["dtype"].get<std::string>();
  const size_t elem_bytes = safetensors_dtype_size(e.blob.dtype);
  if (elem_bytes == 0) throw fail(fmt::format("unknown dtype '{}'", e.blob.dtype));
  const json& shape = v["shape"];
  if (!shape.is_array()) throw fail("shape is not an array");
  for (const json& d : shape) {
    uint64_t dim = 0;
    if (!as_u64(d, dim) || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw fail(fmt::format("shape {} is not a list of non-negative integers", shape.dump()));
    }
    e.blob.shape.push_back(static_cast<int64_t>(dim));
  }
  const json& offsets = v["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !as_u64(offsets[0], e.begin) || !as_u64(offsets[1], e.end)) {
    throw fail(fmt::format("data_offsets {} is not [begin, end] of non-negative integers", offsets.dump()));
  }
  if (e.begin > e.end) throw fail(fmt::format("data_offsets [{}, {}] end before they begin", e.begin, e.end));
  if (e.end > buffer_bytes) {
    throw fail(fmt::format("data_offsets [{}, {}] are out of range of the {}-byte data buffer", e.begin, e.end,
                           buffer_bytes));
  }
  uint64_t need = 0;
  if (!shape_bytes(e.blob.shape, elem_bytes, need)) throw fail(fmt::format("shape {} is too large", shape_text(e.blob.shape)));
  if (need != e.end - e.begin) {
    throw fail(fmt::format("shape {} of {} needs {} bytes but data_offsets [{}, {}] hold {}", shape_text(e.blob.shape),
                           e.blob.dtype, need, e.begin, e.end, e.end - e.begin));
  }
  return e;
}

}  // namespace

size_t safetensors_dtype_size(std::string_view dtype) {
  static const std::map<std::string_view, size_t> kSizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"I16", 2}, {"U16", 2}, {"F16", 2}, {"BF16", 2},
      {"I32", 4},  {"U32", 4}, {"F32", 4}, {"I64", 8}, {"U64", 8}, {"F64", 8}};
  const auto it = kSizes.find(dtype);
  return it == kSizes.end() ? 0 : it->second;
}

int64_t shape_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::runtime_error(fmt::format("tensor shape {} has a negative dimension", shape_text(shape)));
    if (__builtin_mul_overflow(n, d, &n)) throw std::runtime_error(fmt::format("tensor shape {} is too large", shape_text(shape)));
  }
  return n;
}

std::string encode_safetensors(const std::map<std::string, TensorBlob>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  // Widest elements first, then by name: with the header padded to 8 bytes
  // every tensor then starts at a multiple of its element size, so a reader
  // that maps the file can use the data in place.
  std::vector<const std::pair<const std::string, TensorBlob>*> order;
  for (const auto& kv : tensors) {
    const TensorBlob& t = kv.second;
    const size_t elem_bytes = safetensors_dtype_size(t.dtype);
    if (kv.first == "__metadata__") throw std::runtime_error("a tensor cannot be named '__metadata__'");
    if (elem_bytes == 0) throw std::runtime_error(fmt::format("tensor '{}': unknown dtype '{}'", kv.first, t.dtype));
    shape_numel(t.shape);  // rejects negative dimensions
    uint64_t need = 0;
    if (!shape_bytes(t.shape, elem_bytes, need)) {
      throw std::runtime_error(fmt::format("tensor '{}': shape {} is too large", kv.first, shape_text(t.shape)));
    }
    if (need != t.bytes.size()) {
      throw std::runtime_error(fmt::format("tensor '{}': shape {} of {} needs {} bytes, got {}", kv.first,
                                           shape_text(t.shape), t.dtype, need, t.bytes.size()));
    }
    order.push_back(&kv);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return safetensors_dtype_size(a->second.dtype) > safetensors_dtype_size(b->second.dtype);
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto* kv : order) {
    const TensorBlob& t = kv->second;
    header[kv->first] = {{"dtype", t.dtype},
                         {"shape", t.shape},
                         {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // names or metadata that are not UTF-8
    throw std::runtime_error(fmt::format("cannot encode safetensors header: {}", e.what()));
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
  out += text;
  for (const auto* kv : order) out += kv->second.bytes;
  return out;
}

SafetensorsFile decode_safetensors(std::string_view file, const std::string& origin) {
  auto fail = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(fmt::format("safetensors file '{}': {}", origin, what));
  };
  if (file.size() < 8) throw fail(fmt::format("{} bytes is shorter than the 8-byte header length", file.size()));
  uint64_t header_bytes = 0;
  for (int i = 0; i < 8; ++i) header_bytes |= static_cast<uint64_t>(static_cast<unsigned char>(file[i])) << (8 * i);
  if (header_bytes > kMaxHeaderBytes) {
    throw fail(fmt::format("header length {} exceeds the {}-byte limit", header_bytes, kMaxHeaderBytes));
  }
  if (header_bytes > file.size() - 8) {
    throw fail(fmt::format("header length {} exceeds the {} bytes after the length field", header_bytes,
                           file.size() - 8));
  }
  const std::string_view header_text = file.substr(8, header_bytes);
  const std::string_view buffer = file.substr(8 + header_bytes);

  DuplicateKeyFinder duplicates;
  json header;
  try {
    header = json::parse(header_text.begin(), header_text.end(), std::ref(duplicates));
  } catch (const json::exception& e) {
    throw fail(fmt::format("header is not valid JSON ({})", e.what()));
  }
  if (!duplicates.problem.empty()) throw fail(duplicates.problem);
  if (!header.is_object()) throw fail("header is not a JSON object");

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw fail("__metadata__ is not a JSON object");
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) throw fail(fmt::format("__metadata__ value of '{}' is not a string", key));
        out.metadata[key] = text.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(name, value, buffer.size(), origin));
  }

  // Sorted by position, the tensors must tile the buffer exactly: each one
  // starts where the previous one ended, and the last ends at the buffer end.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < covered) {
      throw fail(fmt::format("tensors '{}' and '{}' overlap in the data buffer", previous->name, e.name));
    }
    if (e.begin > covered) throw fail(fmt::format("data buffer bytes [{}, {}) belong to no tensor", covered, e.begin));
    covered = e.end;
    previous = &e;
  }
  if (covered != buffer.size()) {
    throw fail(fmt::format("data buffer bytes [{}, {}) belong to no tensor", covered, buffer.size()));
  }
  for (Entry& e : entries) {
    e.blob.bytes.assign(buffer.substr(e.begin, e.end - e.begin));
    out.tensors.emplace(e.name, std::move(e.blob));
  }
  return out;
}

void write_safetensors(const std::string& path, const std::map<std::string, TensorBlob>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::string bytes;
  try {
    bytes = encode_safetensors(tensors, metadata);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("cannot write safetensors file '{}': {}", path, e.what()));
  }
  write_file_atomic(path, bytes);
}

SafetensorsFile read_safetensors(const std::string& path) { return decode_safetensors(read_file(path), path); }

}  // namespace mecrl
