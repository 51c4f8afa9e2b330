// The memory operations a batch-of-batches needs on its envs' device, as
// plain function pointers: host_device_ops() here (memcpy), and
// cuda::device_ops() (cuda/backend.h: cudaMemcpy2DAsync, ordered on the
// given stream) for GPU envs, so code in envs/ can move GPU buffers without
// including CUDA.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mecrl {

struct DeviceOps {
  void* (*alloc)(size_t bytes);  // zero-filled
  void (*free)(void* p);
  // `rows` rows of `width` bytes: row r from src + r * spitch to dst + r * dpitch.
  void (*copy_2d)(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t rows, void* stream);
  void (*fill)(void* dst, uint8_t value, size_t bytes, void* stream);
  // To host memory, after the work queued on `stream`.
  void (*to_host)(void* dst, const void* src, size_t bytes, void* stream);
};

// Host memory (the CPU backend's envs); streams are ignored.
const DeviceOps& host_device_ops();

}  // namespace mecrl
