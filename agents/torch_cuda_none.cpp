// agents/torch_cuda.h for a LibTorch without CUDA (Debian's): no streams, no
// graphs, nothing to guard.
#include "agents/torch_cuda.h"

namespace mecrl::agents {

void* current_stream(const torch::Device&) { return nullptr; }

struct DeviceGraph::Impl {};
DeviceGraph::DeviceGraph() = default;
DeviceGraph::~DeviceGraph() = default;
bool DeviceGraph::available() { return false; }
bool DeviceGraph::ready() const { return false; }
void DeviceGraph::reset() {}
void DeviceGraph::capture(const torch::Device&, const std::function<void()>&) {
  TORCH_CHECK(false, "CUDA graphs need a LibTorch built with CUDA");
}
void DeviceGraph::replay() { TORCH_CHECK(false, "CUDA graphs need a LibTorch built with CUDA"); }

ForbidDeviceSyncs::ForbidDeviceSyncs() : saved_(0) {}
ForbidDeviceSyncs::~ForbidDeviceSyncs() = default;
ForbidDeviceSyncs::Allow::Allow() : saved(0) {}
ForbidDeviceSyncs::Allow::~Allow() = default;

}  // namespace mecrl::agents
