// A TensorBoard event-file reader written from the format description alone
// (TFRecord framing with both masked CRCs, computed bitwise; a generic
// protobuf wire-format decoder for Event / Summary / Value): the independent
// oracle of tests/core/test_tfevents.cpp and of the run-log checks.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mecrl::testing::tfevents {

inline uint32_t bitwise_masked_crc(std::string_view s) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : s) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  crc = ~crc;
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

inline uint64_t le(std::string_view s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s.at(at + i))) << (8 * i);
  return v;
}

// TFRecord framing; throws on any CRC or length problem.
inline std::vector<std::string> read_records(const std::string& file) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < file.size()) {
    if (file.size() - at < 12) throw std::runtime_error("truncated record header");
    const uint64_t len = le(file, at, 8);
    if (le(file, at + 8, 4) != bitwise_masked_crc(std::string_view(file).substr(at, 8))) {
      throw std::runtime_error("length crc mismatch");
    }
    if (file.size() - at - 12 < len + 4) throw std::runtime_error("truncated record data");
    const std::string data = file.substr(at + 12, len);
    if (le(file, at + 12 + len, 4) != bitwise_masked_crc(data)) throw std::runtime_error("data crc mismatch");
    out.push_back(data);
    at += 12 + len + 4;
  }
  return out;
}

struct Field {
  uint64_t number = 0, wire = 0;
  uint64_t scalar = 0;  // varint, fixed32 or fixed64 bits
  std::string bytes;    // length-delimited payload
};

inline uint64_t read_varint(std::string_view s, size_t& at) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    const auto b = static_cast<unsigned char>(s.at(at++));
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw std::runtime_error("varint too long");
}

inline std::multimap<uint64_t, Field> decode(std::string_view s) {
  std::multimap<uint64_t, Field> fields;
  size_t at = 0;
  while (at < s.size()) {
    Field f;
    const uint64_t key = read_varint(s, at);
    f.number = key >> 3;
    f.wire = key & 7;
    if (f.wire == 0) {
      f.scalar = read_varint(s, at);
    } else if (f.wire == 1) {
      f.scalar = le(s, at, 8);
      at += 8;
    } else if (f.wire == 5) {
      f.scalar = le(s, at, 4);
      at += 4;
    } else if (f.wire == 2) {
      const uint64_t len = read_varint(s, at);
      if (len > s.size() - at) throw std::runtime_error("length-delimited field overruns");
      f.bytes = std::string(s.substr(at, len));
      at += len;
    } else {
      throw std::runtime_error("unexpected wire type");
    }
    fields.emplace(f.number, f);
  }
  return fields;
}

inline const Field& only(const std::multimap<uint64_t, Field>& m, uint64_t number, uint64_t wire) {
  if (m.count(number) != 1) throw std::runtime_error("field " + std::to_string(number) + " not present once");
  const Field& f = m.find(number)->second;
  if (f.wire != wire) throw std::runtime_error("field " + std::to_string(number) + " has the wrong wire type");
  return f;
}

struct DecodedScalar {
  double wall_time;
  int64_t step;
  std::string tag;
  float value;
};

inline DecodedScalar decode_scalar_event(const std::string& data) {
  const auto event = decode(data);
  DecodedScalar d{};
  const uint64_t wall_bits = only(event, 1, 1).scalar;
  std::memcpy(&d.wall_time, &wall_bits, 8);
  d.step = static_cast<int64_t>(only(event, 2, 0).scalar);
  const auto summary = decode(only(event, 5, 2).bytes);
  const auto value = decode(only(summary, 1, 2).bytes);
  d.tag = only(value, 1, 2).bytes;
  const auto value_bits = static_cast<uint32_t>(only(value, 2, 5).scalar);
  std::memcpy(&d.value, &value_bits, 4);
  return d;
}

}  // namespace mecrl::testing::tfevents
