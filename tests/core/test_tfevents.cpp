// TfEventsWriter output decoded by tests/tfevents_reader.h, written from the format
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
#include "tfevents_reader.h"
#include "core/tfevents.h"
#include "core/remove_tree.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;
using testing::slurp;
using namespace testing::tfevents;

fs::path test_root() { return testing::scratch_root() / "tfevents"; }

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = test_root() / name;
  mecrl::remove_tree(dir);
  return dir;
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

// A resumed run drops what was logged after its checkpoint: events at or
// past the first step it logs again, and a record torn by a kill.
TEST(TfEvents, DropEventsFromStepKeepsEarlierOnesAndTheVersion) {
  const fs::path dir = fresh_dir("drop");
  std::string path;
  {
    TfEventsWriter writer(dir.string());
    for (int64_t step : {100, 200, 300, 400}) {
      writer.scalar("charts/SPS", step, static_cast<float>(step));
      writer.scalar("losses/value_loss", step, 1.f);
    }
    path = writer.path();
  }
  const std::string whole = slurp(path);
  EXPECT_EQ(drop_events_from_step(path, 500), 0);
  EXPECT_EQ(slurp(path), whole) << "nothing to drop: untouched";
  EXPECT_EQ(drop_events_from_step(path, 300), 4);
  const auto kept = read_records(slurp(path));
  ASSERT_EQ(kept.size(), 5u);
  EXPECT_EQ(only(decode(kept[0]), 3, 2).bytes, "brain.Event:2");
  std::vector<int64_t> steps;
  for (size_t i = 1; i < kept.size(); ++i) steps.push_back(decode_scalar_event(kept[i]).step);
  EXPECT_EQ(steps, (std::vector<int64_t>{100, 100, 200, 200}));
  EXPECT_EQ(slurp(path), whole.substr(0, slurp(path).size())) << "the kept records are a byte prefix";
  // A torn last record (a kill mid-write) goes too.
  std::ofstream(path, std::ios::app | std::ios::binary) << std::string("\x10\0\0\0\0\0\0\0abc", 11);
  EXPECT_EQ(drop_events_from_step(path, 300), 1);
  EXPECT_EQ(read_records(slurp(path)).size(), 5u);
}

}  // namespace
}  // namespace mecrl
