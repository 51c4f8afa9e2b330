// pg:: (process_group.h): picks the backend for the rank's device and says
// why a build lacks one; the collectives are the backends' (process_group_impl.h).
#include "agents/process_group.h"

#include <fmt/format.h>

#include "agents/process_group_impl.h"
#include "core/error.h"

namespace mecrl::agents::pg {

const char* backend_name(Backend b) { return b == Backend::Nccl ? "nccl" : "gloo"; }

Backend backend_for(const torch::Device& device) { return device.is_cuda() ? Backend::Nccl : Backend::Gloo; }

// MECRL_GLOO_MISSING / MECRL_NCCL_MISSING: agents/CMakeLists.txt's reason
// when the backend is not in this build.
std::string unavailable_reason(Backend b) {
#ifdef MECRL_GLOO_MISSING
  if (b == Backend::Gloo) return MECRL_GLOO_MISSING;
#endif
#ifdef MECRL_NCCL_MISSING
  if (b == Backend::Nccl) return MECRL_NCCL_MISSING;
#endif
  (void)b;
  return "";
}

bool available(Backend b) { return unavailable_reason(b).empty(); }

std::shared_ptr<Group> open(const DistEnv& d, double timeout_s, const torch::Device& device) {
  const Backend b = backend_for(device);
  if (!available(b)) {
    throw UsageError(fmt::format("world size {} (from {}) on the {} needs torch.distributed's {} backend, which this "
                                 "build lacks: {}",
                                 d.world_size, d.launcher, device.is_cuda() ? "GPU" : "CPU", backend_name(b),
                                 unavailable_reason(b)));
  }
#ifndef MECRL_NCCL_MISSING
  if (b == Backend::Nccl) return open_nccl(d, timeout_s, device.has_index() ? device.index() : 0);
#endif
#ifndef MECRL_GLOO_MISSING
  if (b == Backend::Gloo) return open_gloo(d, timeout_s);
#endif
  throw std::logic_error("pg::open: no backend");  // available() said yes
}

Backend backend(const Group& g) { return g.backend; }
torch::Device device(const Group& g) { return g.device; }

void all_reduce(Group& g, torch::Tensor& t, Op op) { g.all_reduce(t, op); }
void broadcast(Group& g, torch::Tensor& t, int root) { g.broadcast(t, root); }
std::vector<torch::Tensor> all_gather(Group& g, const torch::Tensor& t) { return g.all_gather(t); }

}  // namespace mecrl::agents::pg
