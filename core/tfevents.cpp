#include "core/tfevents.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/error.h"

namespace mecrl {

namespace {

// ---- protobuf wire format, just the pieces Event/Summary/Value need.
// A field key is (field_number << 3) | wire_type.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, uint32_t field, WireType type) { put_varint(out, (field << 3) | type); }

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_double(std::string& out, uint32_t field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_key(out, field, kFixed64);
  put_le(out, bits, 8);
}

void put_float(std::string& out, uint32_t field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_key(out, field, kFixed32);
  put_le(out, bits, 4);
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// Event field numbers (tensorboard/compat/proto/event.proto).
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5;
// Summary.value = 1; Summary.Value.tag = 1, simple_value = 2 (summary.proto).
constexpr uint32_t kSummaryValue = 1, kValueTag = 1, kValueSimpleValue = 2;

uint64_t get_le(std::string_view s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

bool get_varint(std::string_view s, size_t& at, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && at < s.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(s[at++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Event.step of one record (0 when absent, as protobuf defaults it);
// false if the bytes are not a well-formed message.
bool event_step(std::string_view event, int64_t& step) {
  step = 0;
  size_t at = 0;
  while (at < event.size()) {
    uint64_t key = 0, v = 0;
    if (!get_varint(event, at, key)) return false;
    switch (key & 7) {
      case kVarint:
        if (!get_varint(event, at, v)) return false;
        if ((key >> 3) == kEventStep) step = static_cast<int64_t>(v);
        break;
      case kFixed64: at += 8; break;
      case kFixed32: at += 4; break;
      case kLengthDelimited:
        if (!get_varint(event, at, v) || v > event.size() - std::min(at, event.size())) return false;
        at += v;
        break;
      default: return false;
    }
  }
  return at == event.size();
}

double wall_time_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

TfEventsWriter::TfEventsWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("cannot create event-file directory '{}': {}", dir, ec.message()), ec.value());
  const double now_s = wall_time_s();
  const std::string base = (std::filesystem::path(dir) / fmt::format("events.out.tfevents.{}.{}",
                                                                      static_cast<int64_t>(now_s), hostname()))
                               .string();
  // "x": never append to or clobber another writer's file (two writers
  // started within the same second, or a resumed run).
  for (int n = 0; file_ == nullptr; ++n) {
    path_ = n == 0 ? base : fmt::format("{}.{}", base, n);
    file_ = std::fopen(path_.c_str(), "wbx");
    if (file_ == nullptr && (errno != EEXIST || n >= 1000)) {
      const int err = errno;
      throw IoError(fmt::format("cannot create event file '{}': {}", path_, std::generic_category().message(err)), err);
    }
  }
  std::string event;
  put_double(event, kEventWallTime, now_s);
  put_bytes(event, kEventFileVersion, "brain.Event:2");
  write_record(event);
  flush();
}

TfEventsWriter::~TfEventsWriter() {
  if (file_ != nullptr) std::fclose(file_);  // flushes; a destructor cannot report failure
}

void TfEventsWriter::scalar(const std::string& tag, int64_t step, float value) {
  std::string summary_value;
  put_bytes(summary_value, kValueTag, tag);
  put_float(summary_value, kValueSimpleValue, value);
  std::string summary;
  put_bytes(summary, kSummaryValue, summary_value);
  std::string event;
  put_double(event, kEventWallTime, wall_time_s());
  // int64 is encoded as the varint of its two's-complement bits.
  put_key(event, kEventStep, kVarint);
  put_varint(event, static_cast<uint64_t>(step));
  put_bytes(event, kEventSummary, summary);
  write_record(event);
}

// TFRecord: u64 length, masked CRC of those 8 bytes, data, masked CRC of data.
void TfEventsWriter::write_record(const std::string& event) {
  std::string record;
  record.reserve(event.size() + 16);
  put_le(record, event.size(), 8);
  put_le(record, masked_crc32c(std::string_view(record.data(), 8)), 4);
  record += event;
  put_le(record, masked_crc32c(event), 4);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    const int err = errno;
    throw IoError(fmt::format("cannot write event file '{}': {}", path_, std::generic_category().message(err)), err);
  }
}

int64_t drop_events_from_step(const std::string& path, int64_t first_dropped_step) {
  const std::string file = read_file(path);
  std::string kept;
  kept.reserve(file.size());
  int64_t dropped = 0;
  size_t at = 0;
  while (at < file.size()) {
    // A torn or corrupt tail ends the readable part; TensorBoard stops there too.
    if (file.size() - at < 12) break;
    const uint64_t len = get_le(file, at, 8);
    if (get_le(file, at + 8, 4) != masked_crc32c(std::string_view(file).substr(at, 8))) break;
    if (file.size() - at - 12 < len || file.size() - at - 12 - len < 4) break;
    const std::string_view event = std::string_view(file).substr(at + 12, len);
    if (get_le(file, at + 12 + len, 4) != masked_crc32c(event)) break;
    int64_t step = 0;
    const size_t record_bytes = 12 + len + 4;
    if (event_step(event, step) && step < first_dropped_step) {
      kept.append(file, at, record_bytes);
    } else {
      ++dropped;
    }
    at += record_bytes;
  }
  if (at < file.size()) ++dropped;  // the torn tail counts as one record
  if (dropped > 0) write_file_atomic(path, kept);
  return dropped;
}

void TfEventsWriter::flush() {
  if (std::fflush(file_) != 0) {
    const int err = errno;
    throw IoError(fmt::format("cannot flush event file '{}': {}", path_, std::generic_category().message(err)), err);
  }
}

}  // namespace mecrl
