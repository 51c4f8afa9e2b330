// What the rest of the project may ask of the CUDA backend. Includable from
// plain g++ code; implemented by the .cu files when CUDA is found at
// configure time, and by no_cuda.cpp (every call reports "built without
// CUDA") when it is not, so callers never need an #ifdef.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "envs/device_ops.h"
#include "envs/vec_env.h"

namespace mecrl::offload {
struct OffloadParams;
}
namespace mecrl::uncertainty {
struct UncertaintyParams;
}
namespace mecrl::cartpole {
struct CartPoleParams;
}

namespace mecrl::cuda {

bool built_with_cuda();
// Number of usable devices (0 without a driver or a GPU; never throws).
int device_count();
std::string device_name(int device = 0);

std::unique_ptr<VecEnv> make_offload_env(const offload::OffloadParams& p, int num_envs, bool with_events = false);
std::unique_ptr<VecEnv> make_uncertainty_env(const uncertainty::UncertaintyParams& p, int num_envs,
                                             bool with_events = false);

std::unique_ptr<VecEnv> make_cartpole_env(const cartpole::CartPoleParams& p, int num_envs);

// Synchronous copies between host and device memory, for tests and tools.
void copy_to_host(void* dst, const void* src, size_t bytes);
void copy_to_device(void* dst, const void* src, size_t bytes);
void* device_alloc(size_t bytes);
void synchronize();  // wait for all work on the device (benchmarks, tests)
void device_free(void* p);
// Device memory and stream-ordered copies for envs/ code that moves GPU
// buffers (envs/population_env.h).
const DeviceOps& device_ops();

}  // namespace mecrl::cuda
