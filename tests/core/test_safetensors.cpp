// safetensors: exact bytes of a small file (spelled out from the format
// description), round trips of every supported dtype including 0-d and empty
// tensors, and one specific error per kind of malformed file.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "temp_dir.h"
#include "core/atomic_file.h"
#include "core/safetensors.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

fs::path test_root() { return testing::scratch_root() / "safetensors"; }

std::string temp_path(const std::string& name) {
  const fs::path dir = test_root();
  fs::create_directories(dir);
  return (dir / name).string();
}

std::string u64le(uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

// A file from a header text and a buffer; the length field is the header's
// own length unless given.
std::string raw_file(const std::string& header, const std::string& buffer, int64_t length = -1) {
  return u64le(length < 0 ? header.size() : static_cast<uint64_t>(length)) + header + buffer;
}

TEST(Safetensors, ExactBytesOfASmallFile) {
  const float values[] = {1.f, 2.f};
  const std::string path = temp_path("exact.safetensors");
  write_safetensors(path, {{"a", make_f32({2}, values)}});
  // 54 bytes of JSON padded with spaces to 56; 1.0f = 0x3F800000, 2.0f = 0x40000000.
  const std::string expected = std::string("\x38\0\0\0\0\0\0\0", 8) +
                               R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  )" +
                               std::string("\0\0\x80\x3f\0\0\0\x40", 8);
  EXPECT_EQ(read_file(path), expected);
}

TEST(Safetensors, RoundTripOfAllDtypesWithScalarAndEmptyTensors) {
  const float f32[] = {0.5f, -1.25f, 3.4e38f, 1e-45f, -0.f, 7.f};
  const double f64 = 2.718281828459045;
  const int32_t i32[] = {std::numeric_limits<int32_t>::min(), -1, 0, std::numeric_limits<int32_t>::max()};
  const int64_t i64[] = {std::numeric_limits<int64_t>::min(), -1, int64_t{1} << 40};
  const uint8_t u8[] = {0, 1, 127, 128, 255};
  const uint32_t u32[] = {0u, 0xffffffffu};
  const uint64_t u64[] = {0u, ~uint64_t{0}};
  const std::map<std::string, TensorBlob> tensors = {
      {"policy/w", make_f32({2, 3}, f32)},
      {"scalar", make_f64({}, &f64)},
      {"ints", make_i32({4}, i32)},
      {"steps", make_i64({3, 1}, i64)},
      {"bytes", make_tensor<uint8_t>({5}, u8)},
      {"u32", make_tensor<uint32_t>({2}, u32)},
      {"u64", make_tensor<uint64_t>({1, 2}, u64)},
      {"empty_f32", make_f32({0, 3}, nullptr)},
      {"empty_i64", make_i64({0}, nullptr)},
  };
  const std::map<std::string, std::string> metadata = {{"format", "mecrl"}, {"config_hash", "ab12"}, {"é", "ü"}};
  const std::string path = temp_path("roundtrip.safetensors");
  write_safetensors(path, tensors, metadata);
  const SafetensorsFile back = read_safetensors(path);
  EXPECT_EQ(back.metadata, metadata);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    const TensorBlob& b = back.tensors.at(name);
    EXPECT_EQ(b.dtype, t.dtype) << name;
    EXPECT_EQ(b.shape, t.shape) << name;
    EXPECT_EQ(b.bytes, t.bytes) << name;
  }
  EXPECT_EQ(tensor_values<double>(back.tensors.at("scalar")), std::vector<double>{f64});
  EXPECT_EQ(tensor_values<int64_t>(back.tensors.at("steps")), std::vector<int64_t>(i64, i64 + 3));
  EXPECT_TRUE(tensor_values<float>(back.tensors.at("empty_f32")).empty());
  EXPECT_THROW(tensor_values<float>(back.tensors.at("steps")), std::runtime_error);
}

TEST(Safetensors, HeaderIsPaddedAndTensorsAreAligned) {
  const uint8_t u8[] = {1, 2, 3};
  const double f64[] = {1, 2};
  const int32_t i32[] = {5};
  const std::string file = encode_safetensors(
      {{"a_bytes", make_tensor<uint8_t>({3}, u8)}, {"b_f64", make_f64({2}, f64)}, {"c_i32", make_i32({1}, i32)}},
      {{"k", "v"}});
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  // Read the header with plain nlohmann, not with the code under test.
  const auto header = nlohmann::json::parse(file.substr(8, n));
  EXPECT_EQ(header["__metadata__"]["k"], "v");
  uint64_t total = 0;
  for (const char* name : {"a_bytes", "b_f64", "c_i32"}) {
    const auto& e = header[name];
    const uint64_t begin = e["data_offsets"][0], end = e["data_offsets"][1];
    const uint64_t elem = safetensors_dtype_size(e["dtype"].get<std::string>());
    EXPECT_EQ((8 + n + begin) % elem, 0u) << name << " starts unaligned";
    total += end - begin;
  }
  EXPECT_EQ(file.size(), 8 + n + total);
}

struct Malformed {
  const char* name;
  std::string file;
  const char* message;
};

std::vector<Malformed> malformed_cases() {
  const std::string f32_2 = R"({"dtype":"F32","shape":[2],)";
  return {
      {"short", std::string("\x05\0\0\0\0", 5), "5 bytes is shorter than the 8-byte header length"},
      {"empty", "", "0 bytes is shorter than the 8-byte header length"},
      {"huge_header", raw_file("{}", "", 200'000'000), "header length 200000000 exceeds the 100000000-byte limit"},
      {"header_past_eof", raw_file("{}      ", "", 100), "header length 100 exceeds the 8 bytes after the length field"},
      {"invalid_json", raw_file(R"({"a":)", ""), "header is not valid JSON"},
      {"trailing_garbage", raw_file("{} x", ""), "header is not valid JSON"},
      {"not_utf8", raw_file("{\"\xff\":1}", ""), "header is not valid JSON"},
      {"not_object", raw_file("[1,2]", ""), "header is not a JSON object"},
      {"duplicate_name", raw_file(R"({"a":)" + f32_2 + R"("data_offsets":[0,8]},"a":)" + f32_2 +
                                      R"("data_offsets":[0,8]}})",
                                  std::string(8, '\0')),
       "duplicate tensor name 'a'"},
      {"duplicate_field", raw_file(R"({"a":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}})",
                                   std::string(4, '\0')),
       "duplicate key 'dtype' in the header"},
      {"unknown_dtype", raw_file(R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0')),
       "tensor 'a': unknown dtype 'F7'"},
      {"dtype_not_string", raw_file(R"({"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0')),
       "tensor 'a': dtype is not a string"},
      {"entry_not_object", raw_file(R"({"a":[1]})", ""), "tensor 'a': entry is not a JSON object"},
      {"missing_field", raw_file(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", std::string(4, '\0')),
       "tensor 'a': missing field 'shape'"},
      {"unexpected_field", raw_file(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":1}})",
                                    std::string(4, '\0')),
       "tensor 'a': unexpected field 'x'"},
      {"negative_dim", raw_file(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0')),
       "tensor 'a': shape [-1] is not a list of non-negative integers"},
      {"fractional_dim", raw_file(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", std::string(4, '\0')),
       "tensor 'a': shape [1.5] is not a list of non-negative integers"},
      {"shape_overflow", raw_file(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}})",
                                  std::string(4, '\0')),
       "tensor 'a': shape [4611686018427387904, 4] is too large"},
      {"offsets_not_pair", raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", std::string(4, '\0')),
       "tensor 'a': data_offsets [0] is not [begin, end] of non-negative integers"},
      {"offsets_reversed", raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", std::string(8, '\0')),
       "tensor 'a': data_offsets [8, 4] end before they begin"},
      {"size_mismatch", raw_file(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", std::string(20, '\0')),
       "tensor 'a': shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] hold 20"},
      {"out_of_range", raw_file(R"({"a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}})", std::string(16, '\0')),
       "tensor 'a': data_offsets [0, 24] are out of range of the 16-byte data buffer"},
      {"overlap", raw_file(R"({"a":)" + f32_2 + R"("data_offsets":[0,8]},"b":)" + f32_2 + R"("data_offsets":[4,12]}})",
                           std::string(12, '\0')),
       "tensors 'a' and 'b' overlap in the data buffer"},
      {"empty_inside_other", raw_file(R"({"a":)" + f32_2 + R"("data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],)" +
                                          R"("data_offsets":[4,4]}})",
                                      std::string(8, '\0')),
       "tensors 'a' and 'e' overlap in the data buffer"},
      {"gap", raw_file(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[],)"
                       R"("data_offsets":[8,12]}})",
                       std::string(12, '\0')),
       "data buffer bytes [4, 8) belong to no tensor"},
      {"trailing_bytes", raw_file(R"({"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})", std::string(8, '\0')),
       "data buffer bytes [4, 8) belong to no tensor"},
      {"metadata_not_object", raw_file(R"({"__metadata__":"x"})", ""), "__metadata__ is not a JSON object"},
      {"metadata_not_string", raw_file(R"({"__metadata__":{"k":1}})", ""), "__metadata__ value of 'k' is not a string"},
  };
}

TEST(Safetensors, EachMalformationHasItsOwnMessage) {
  for (const Malformed& c : malformed_cases()) {
    const std::string path = temp_path(std::string("bad_") + c.name + ".safetensors");
    write_file_atomic(path, c.file);
    const std::string err = error_of([&] { read_safetensors(path); });
    EXPECT_NE(err.find(c.message), std::string::npos) << c.name << ": got: " << err;
    EXPECT_NE(err.find(path), std::string::npos) << c.name << ": does not name the file: " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << c.name << ": not one line: " << err;
  }
}

TEST(Safetensors, ValidEdgeCasesAreAccepted) {
  // The tiling rules must not reject what the format allows.
  const SafetensorsFile empty = decode_safetensors(raw_file("{}", ""), "empty");
  EXPECT_TRUE(empty.tensors.empty());
  const SafetensorsFile two_empty = decode_safetensors(
      raw_file(R"({"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"y":{"dtype":"U8","shape":[2],)"
               R"("data_offsets":[0,2]},"z":{"dtype":"I64","shape":[0,5],"data_offsets":[2,2]}})",
               "ab"),
      "two_empty");
  EXPECT_EQ(two_empty.tensors.at("y").bytes, "ab");
  EXPECT_EQ(two_empty.tensors.at("z").shape, (std::vector<int64_t>{0, 5}));
}

TEST(Safetensors, EveryTruncationOfAValidFileIsRejected) {
  const float w[] = {1, 2, 3, 4, 5, 6};
  const int64_t s[] = {7, 8};
  const std::string good = encode_safetensors({{"w", make_f32({2, 3}, w)}, {"s", make_i64({2}, s)}}, {{"k", "v"}});
  ASSERT_NO_THROW(decode_safetensors(good, "good"));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(decode_safetensors(std::string_view(good).substr(0, n), "truncated"), std::runtime_error)
        << "prefix of " << n << " bytes";
  }
  const std::string path = temp_path("truncated.safetensors");
  write_file_atomic(path, good.substr(0, good.size() - 1));
  EXPECT_NE(error_of([&] { read_safetensors(path); }).find("out of range"), std::string::npos);
}

TEST(Safetensors, RandomCorruptionNeverEscapesAsAnythingButRuntimeError) {
  const float w[] = {1, 2, 3, 4, 5, 6};
  const std::string good = encode_safetensors({{"w", make_f32({2, 3}, w)}, {"b", make_f32({0}, nullptr)}}, {});
  std::mt19937 gen(7);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(gen() % 3);
    for (int f = 0; f < flips; ++f) bad[gen() % bad.size()] = static_cast<char>(gen());
    try {
      decode_safetensors(bad, "fuzz");
    } catch (const std::runtime_error&) {
    }  // any other exception type fails the test
  }
}

TEST(Safetensors, WriterRejectsInconsistentTensors) {
  const std::string path = temp_path("writer_errors.safetensors");
  TensorBlob short_bytes{"F32", {2}, std::string(4, '\0')};
  EXPECT_NE(error_of([&] { write_safetensors(path, {{"x", short_bytes}}); }).find("needs 8 bytes, got 4"),
            std::string::npos);
  TensorBlob bad_dtype{"F7", {}, std::string(4, '\0')};
  EXPECT_NE(error_of([&] { write_safetensors(path, {{"x", bad_dtype}}); }).find("unknown dtype 'F7'"),
            std::string::npos);
  const float one = 1;
  EXPECT_NE(error_of([&] { write_safetensors(path, {{"__metadata__", make_f32({}, &one)}}); }).find("__metadata__"),
            std::string::npos);
  EXPECT_NE(error_of([&] { make_f32({-1}, nullptr); }).find("negative"), std::string::npos);
  EXPECT_FALSE(fs::exists(path)) << "nothing is written when encoding fails";
}

}  // namespace
}  // namespace mecrl
