#include "core/crc32c.h"

#include <array>

namespace mecrl {

namespace {

// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
constexpr uint32_t kPolyReflected = 0x82F63B78u;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t r = byte;
    for (int bit = 0; bit < 8; ++bit) r = (r & 1u) ? (r >> 1) ^ kPolyReflected : r >> 1;
    table[byte] = r;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t r = ~crc;  // pre- and post-inversion, as the standard CRC-32C defines
  for (size_t i = 0; i < size; ++i) r = kTable[(r ^ p[i]) & 0xffu] ^ (r >> 8);
  return ~r;
}

}  // namespace mecrl
