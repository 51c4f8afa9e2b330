#include "agents/host_reads.h"

#include <atomic>

#include "agents/torch_cuda.h"

namespace mecrl::agents {

namespace {
std::array<std::atomic<int64_t>, static_cast<size_t>(HostRead::kCount)> g_reads{};
}  // namespace

torch::Tensor to_host(const torch::Tensor& t, HostRead why) {
  g_reads[static_cast<size_t>(why)].fetch_add(1, std::memory_order_relaxed);
  const ForbidDeviceSyncs::Allow allowed;  // this is the sanctioned synchronisation
  return t.device().is_cpu() ? t : t.to(torch::kCPU);
}

void device_sync(const torch::Device& device, HostRead why) {
  if (device.is_cpu()) return;
  g_reads[static_cast<size_t>(why)].fetch_add(1, std::memory_order_relaxed);
  const ForbidDeviceSyncs::Allow allowed;
  torch::cuda::synchronize();
}

HostReadCounts host_reads() {
  HostReadCounts c{};
  for (size_t k = 0; k < c.size(); ++k) c[k] = g_reads[k].load(std::memory_order_relaxed);
  return c;
}

}  // namespace mecrl::agents
