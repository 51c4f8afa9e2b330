// What the learners need from LibTorch's CUDA side, behind a header without
// CUDA or ATen-CUDA includes: LibTorch's current stream (so our kernels run
// in order with its ops), CUDA-graph capture of the rollout, and the
// synchronisation guard the GPU tests use. Implemented by torch_cuda.cpp when
// the LibTorch in use has CUDA (the pip wheel), by torch_cuda_none.cpp when it
// does not (Debian's CPU LibTorch): then every call is a no-op or says so.
#pragma once

#include <functional>
#include <memory>

#include <torch/torch.h>

namespace mecrl::agents {

// LibTorch's current CUDA stream on `device` as a cudaStream_t (null on the CPU).
void* current_stream(const torch::Device& device);

// Records the device work of `fn` once and replays it: the rollout's T slots
// (env step, actor, sampling, storage) become one launch. Every tensor `fn`
// touches must keep its address and shape between replays; host values are
// frozen at capture (docs/architecture.md, "CUDA graph of the rollout").
class DeviceGraph {
 public:
  DeviceGraph();
  ~DeviceGraph();
  DeviceGraph(const DeviceGraph&) = delete;
  DeviceGraph& operator=(const DeviceGraph&) = delete;
  static bool available();  // LibTorch with CUDA
  // Captures fn on a side stream (fn must read the current stream itself).
  void capture(const torch::Device& device, const std::function<void()>& fn);
  void replay();
  bool ready() const;
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// While alive, any CUDA call that synchronises the host with the device
// raises an error (LibTorch's sync debug mode); host_reads.h suspends it
// around the counted reads. A no-op without CUDA.
class ForbidDeviceSyncs {
 public:
  ForbidDeviceSyncs();
  ~ForbidDeviceSyncs();
  // Suspends the guard (if any) for one counted read.
  struct Allow {
    Allow();
    ~Allow();
    int saved;
  };

 private:
  int saved_;
};

}  // namespace mecrl::agents
