// agents/torch_cuda.h for a LibTorch with CUDA (built only then: agents/CMakeLists.txt).
#include "agents/torch_cuda.h"

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <optional>

namespace mecrl::agents {

void* current_stream(const torch::Device& device) {
  if (!device.is_cuda()) return nullptr;
  return c10::cuda::getCurrentCUDAStream(device.index() < 0 ? c10::cuda::current_device() : device.index()).stream();
}

struct DeviceGraph::Impl {
  std::optional<at::cuda::CUDAGraph> graph;
  bool ready = false;
};

DeviceGraph::DeviceGraph() : impl_(std::make_unique<Impl>()) {}
DeviceGraph::~DeviceGraph() = default;
bool DeviceGraph::available() { return true; }
bool DeviceGraph::ready() const { return impl_->ready; }
void DeviceGraph::reset() {
  impl_->graph.reset();
  impl_->ready = false;
}

void DeviceGraph::capture(const torch::Device& device, const std::function<void()>& fn) {
  reset();
  const auto index = device.index() < 0 ? c10::cuda::current_device() : device.index();
  // Work queued before the capture must not be recorded into it.
  c10::cuda::device_synchronize();
  auto side = c10::cuda::getStreamFromPool(false, index);
  impl_->graph.emplace();
  {
    c10::cuda::CUDAStreamGuard guard(side);
    impl_->graph->capture_begin();
    try {
      fn();
    } catch (...) {
      try {
        impl_->graph->capture_end();
      } catch (...) {
      }
      impl_->graph.reset();
      throw;
    }
    impl_->graph->capture_end();
  }
  impl_->ready = true;
}

void DeviceGraph::replay() {
  TORCH_CHECK(impl_->ready, "DeviceGraph::replay before capture");
  impl_->graph->replay();
}

namespace {
int set_mode(int mode) {
  auto& w = c10::cuda::warning_state();
  const int old = static_cast<int>(w.get_sync_debug_mode());
  w.set_sync_debug_mode(static_cast<c10::cuda::SyncDebugMode>(mode));
  return old;
}
}  // namespace

ForbidDeviceSyncs::ForbidDeviceSyncs() : saved_(set_mode(static_cast<int>(c10::cuda::SyncDebugMode::L_ERROR))) {}
ForbidDeviceSyncs::~ForbidDeviceSyncs() { set_mode(saved_); }
ForbidDeviceSyncs::Allow::Allow() : saved(set_mode(static_cast<int>(c10::cuda::SyncDebugMode::L_DISABLED))) {}
ForbidDeviceSyncs::Allow::~Allow() { set_mode(saved); }

}  // namespace mecrl::agents
