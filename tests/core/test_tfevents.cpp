// TfEventsWriter output decoded by a reader written here from the format
// description alone: TFRecord framing with both masked CRCs (bitwise CRC),
// then a generic protobuf wire-format decoder for Event / Summary / Value.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "temp_dir.h"
#include "core/tfevents.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;
using testing::slurp;

fs::path test_root() { return testing::scratch_root() / "tfevents"; }

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = test_root() / name;
  fs::remove_all(dir);
  return dir;
}

uint32_t bitwise_masked_crc(std::string_view s) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : s) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  crc = ~crc;
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

uint64_t le(std::string_view s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s.at(at + i))) << (8 * i);
  return v;
}

// TFRecord framing; throws on any CRC or length problem.
std::vector<std::string> read_records(const std::string& file) {
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

uint64_t read_varint(std::string_view s, size_t& at) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    const auto b = static_cast<unsigned char>(s.at(at++));
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw std::runtime_error("varint too long");
}

std::multimap<uint64_t, Field> decode(std::string_view s) {
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

const Field& only(const std::multimap<uint64_t, Field>& m, uint64_t number, uint64_t wire) {
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

DecodedScalar decode_scalar_event(const std::string& data) {
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

double now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(TfEvents, ScalarsRoundTripThroughIndependentDecoder) {
  const fs::path dir = fresh_dir("roundtrip");
  struct Expected {
    std::string tag;
    int64_t step;
    float value;
  };
  std::vector<Expected> expected;
  const float specials[] = {0.f, -3.5f, 1e-30f, 3.4e38f, INFINITY, -0.f};
  for (int i = 0; i < 40; ++i) {
    expected.push_back({i % 2 ? "charts/SPS" : "losses/approx_kl", int64_t{i} * 1000, 0.25f * static_cast<float>(i) - 2.f});
  }
  for (float v : specials) expected.push_back({"edge/values", 7, v});
  expected.push_back({"edge/steps", int64_t{1} << 40, 1.f});
  expected.push_back({"edge/steps", -1, 2.f});
  expected.push_back({"utf8/\xc3\xa9t\xc3\xa9", 3, 4.f});

  const double before = now_s();
  TfEventsWriter writer(dir.string());
  for (const auto& e : expected) writer.scalar(e.tag, e.step, e.value);
  writer.flush();
  const double after = now_s();

  // Readable while the writer is still open: TensorBoard reads live runs.
  const auto records = read_records(slurp(writer.path()));
  ASSERT_EQ(records.size(), expected.size() + 1);

  const auto version = decode(records[0]);
  EXPECT_EQ(only(version, 3, 2).bytes, "brain.Event:2");
  EXPECT_EQ(version.count(2), 0u) << "the version event has no step";
  double version_wall = 0;
  const uint64_t bits = only(version, 1, 1).scalar;
  std::memcpy(&version_wall, &bits, 8);
  EXPECT_GE(version_wall, before - 1);
  EXPECT_LE(version_wall, after + 1);

  for (size_t i = 0; i < expected.size(); ++i) {
    const DecodedScalar d = decode_scalar_event(records[i + 1]);
    EXPECT_EQ(d.tag, expected[i].tag) << i;
    EXPECT_EQ(d.step, expected[i].step) << i;
    uint32_t got_bits, want_bits;
    std::memcpy(&got_bits, &d.value, 4);
    std::memcpy(&want_bits, &expected[i].value, 4);
    EXPECT_EQ(got_bits, want_bits) << i << ": " << d.value << " vs " << expected[i].value;
    EXPECT_GE(d.wall_time, before - 1);
    EXPECT_LE(d.wall_time, after + 1);
  }
}

TEST(TfEvents, FileNameAndVersionRecordExistBeforeAnyScalar) {
  const fs::path dir = fresh_dir("name");
  TfEventsWriter writer(dir.string());
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  const std::string name = fs::path(writer.path()).filename().string();
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(events\.out\.tfevents\.\d{10}\.)" + std::string(host))))
      << name;
  EXPECT_EQ(fs::path(writer.path()).parent_path(), dir);
  EXPECT_EQ(read_records(slurp(writer.path())).size(), 1u);
}

TEST(TfEvents, TwoWritersInOneDirectoryGetTwoFiles) {
  const fs::path dir = fresh_dir("two");
  TfEventsWriter a(dir.string()), b(dir.string());
  EXPECT_NE(a.path(), b.path());
  a.scalar("x", 1, 1.f);
  b.scalar("x", 1, 2.f);
  a.flush();
  b.flush();
  EXPECT_EQ(decode_scalar_event(read_records(slurp(a.path())).at(1)).value, 1.f);
  EXPECT_EQ(decode_scalar_event(read_records(slurp(b.path())).at(1)).value, 2.f);
}

TEST(TfEvents, DecoderDetectsCorruption) {
  // The checks above mean something only if this reader can reject a file.
  const fs::path dir = fresh_dir("corrupt");
  std::string path;
  {
    TfEventsWriter writer(dir.string());
    writer.scalar("charts/SPS", 3, 100.f);
    path = writer.path();
  }  // the destructor flushes
  const std::string good = slurp(path);
  ASSERT_EQ(read_records(good).size(), 2u);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    EXPECT_THROW(read_records(bad), std::exception) << "flipped byte " << i;
  }
}

TEST(TfEvents, UnwritableDirectoryIsAnError) {
  const fs::path dir = fresh_dir("blocked");
  fs::create_directories(dir.parent_path());
  std::ofstream(dir) << "a file where the directory should be";
  try {
    TfEventsWriter writer(dir.string());
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mecrl
