#include "core/tfevents.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "core/crc32c.h"

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
  if (ec) throw std::runtime_error(fmt::format("cannot create event-file directory '{}': {}", dir, ec.message()));
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
      throw std::runtime_error(fmt::format("cannot create event file '{}': {}", path_,
                                           std::generic_category().message(errno)));
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
    throw std::runtime_error(fmt::format("cannot write event file '{}': {}", path_,
                                         std::generic_category().message(errno)));
  }
}

void TfEventsWriter::flush() {
  if (std::fflush(file_) != 0) {
    throw std::runtime_error(fmt::format("cannot flush event file '{}': {}", path_,
                                         std::generic_category().message(errno)));
  }
}

}  // namespace mecrl
