// safetensors (huggingface/safetensors, README "Format"): the weight format
// for checkpoints and exported policies, readable from C++, Python
// (safetensors.numpy / .torch), Rust, anything, with no pickle and no
// LibTorch archive. Layout: u64 little-endian header length N, N bytes of
// JSON (padded with spaces to a multiple of 8), then the data buffer. The
// header maps each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end]} relative to the buffer, plus an optional "__metadata__" string map.
//
// The reader treats the file as untrusted: any malformation is a one-line
// std::runtime_error naming the file and the problem, never a crash or an
// out-of-bounds read.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mecrl {

// C++17 (the deployment runtime builds this file too), so no std::endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this code copies host bytes as they are");

struct TensorBlob {
  std::string dtype;           // "F32", "I64", ... (see safetensors_dtype_size)
  std::vector<int64_t> shape;  // row-major; {} is a 0-d scalar
  std::string bytes;           // little-endian element data, size = numel * dtype size
};

struct SafetensorsFile {
  std::map<std::string, TensorBlob> tensors;
  std::map<std::string, std::string> metadata;
};

// Bytes per element of a dtype name, 0 if this code does not know it.
size_t safetensors_dtype_size(std::string_view dtype);

// In-memory encode/decode; `origin` names the source in error messages.
std::string encode_safetensors(const std::map<std::string, TensorBlob>& tensors,
                               const std::map<std::string, std::string>& metadata);
SafetensorsFile decode_safetensors(std::string_view file_bytes, const std::string& origin);

// Written with write_file_atomic: the file is complete or absent.
void write_safetensors(const std::string& path, const std::map<std::string, TensorBlob>& tensors,
                       const std::map<std::string, std::string>& metadata = {});
SafetensorsFile read_safetensors(const std::string& path);

// ---- typed helpers
template <class T> struct SafetensorsDtype;
template <> struct SafetensorsDtype<float> { static constexpr const char* name = "F32"; };
template <> struct SafetensorsDtype<double> { static constexpr const char* name = "F64"; };
template <> struct SafetensorsDtype<int32_t> { static constexpr const char* name = "I32"; };
template <> struct SafetensorsDtype<int64_t> { static constexpr const char* name = "I64"; };
template <> struct SafetensorsDtype<uint8_t> { static constexpr const char* name = "U8"; };
template <> struct SafetensorsDtype<uint32_t> { static constexpr const char* name = "U32"; };
template <> struct SafetensorsDtype<uint64_t> { static constexpr const char* name = "U64"; };

// Number of elements of `shape`; throws on a negative dimension.
int64_t shape_numel(const std::vector<int64_t>& shape);

// `data` points at shape_numel(shape) elements (may be null if that is 0).
template <class T>
TensorBlob make_tensor(std::vector<int64_t> shape, const T* data) {
  TensorBlob t{SafetensorsDtype<T>::name, std::move(shape), {}};
  const auto n = static_cast<size_t>(shape_numel(t.shape));
  if (n > 0) t.bytes.assign(reinterpret_cast<const char*>(data), n * sizeof(T));
  return t;
}
inline TensorBlob make_f32(std::vector<int64_t> shape, const float* d) { return make_tensor(std::move(shape), d); }
inline TensorBlob make_f64(std::vector<int64_t> shape, const double* d) { return make_tensor(std::move(shape), d); }
inline TensorBlob make_i32(std::vector<int64_t> shape, const int32_t* d) { return make_tensor(std::move(shape), d); }
inline TensorBlob make_i64(std::vector<int64_t> shape, const int64_t* d) { return make_tensor(std::move(shape), d); }

// The elements of `t`; throws if its dtype is not T's.
template <class T>
std::vector<T> tensor_values(const TensorBlob& t) {
  if (t.dtype != SafetensorsDtype<T>::name) {
    throw std::runtime_error("tensor has dtype " + t.dtype + ", not " + SafetensorsDtype<T>::name);
  }
  std::vector<T> out(t.bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), t.bytes.data(), out.size() * sizeof(T));
  return out;
}

}  // namespace mecrl
