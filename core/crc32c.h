// CRC32C (Castagnoli), the checksum TFRecord framing uses for TensorBoard
// event files. Table-driven, one byte per step: event files carry a few
// hundred bytes per iteration, so hardware CRC would buy nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mecrl {

// Continues a CRC over more bytes: crc32c(ab) == crc32c_extend(crc32c(a), b).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32c(std::string_view bytes) { return crc32c_extend(0, bytes.data(), bytes.size()); }

// TFRecord stores CRCs rotated and offset: a CRC computed over data that
// itself contains CRCs is then less likely to be degenerate.
inline uint32_t mask_crc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t masked_crc32c(std::string_view bytes) { return mask_crc32c(crc32c(bytes)); }

}  // namespace mecrl
