// CRC32C against published vectors (the "123456789" check value, RFC 3720
// appendix B.4 for iSCSI) and against a bit-at-a-time CRC written here from
// the polynomial alone.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/crc32c.h"

namespace mecrl {
namespace {

// One bit per step straight from the definition: reflected Castagnoli
// polynomial, initial value and final xor all-ones.
uint32_t bitwise_crc32c(const std::string& s) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : s) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

TEST(Crc32c, CheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(masked_crc32c("123456789"), 0xC78AB0E5u);
  EXPECT_EQ(mask_crc32c(0xE3069283u), 0xC78AB0E5u);
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(Crc32c, Rfc3720Vectors) {
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0'), down(32, '\0');
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<char>(i);
    down[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(up), 0x46DD794Eu);
  EXPECT_EQ(crc32c(down), 0x113FDB5Cu);
}

TEST(Crc32c, MatchesBitwiseOnRandomStrings) {
  std::mt19937 gen(12345);
  for (int trial = 0; trial < 500; ++trial) {
    std::string s(gen() % 300, '\0');
    for (char& c : s) c = static_cast<char>(gen());
    ASSERT_EQ(crc32c(s), bitwise_crc32c(s)) << "length " << s.size();
  }
}

TEST(Crc32c, ExtendEqualsWhole) {
  const std::string a = "brain.Event:", b = "2 and some more bytes";
  EXPECT_EQ(crc32c_extend(crc32c(a), b.data(), b.size()), crc32c(a + b));
}

}  // namespace
}  // namespace mecrl
