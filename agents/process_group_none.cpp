// pg:: without c10d's Gloo (MECRL_DISTRIBUTED off): one rank only.
#include "agents/process_group.h"

#include <fmt/format.h>

#include "core/error.h"

namespace mecrl::agents::pg {

struct Group {};

bool available() { return false; }

std::string unavailable_reason() {
#ifdef MECRL_DISTRIBUTED_MISSING
  return MECRL_DISTRIBUTED_MISSING;
#else
  return "this mecrl was built without torch.distributed (c10d Gloo)";
#endif
}

std::shared_ptr<Group> open(const DistEnv& d, double) {
  throw UsageError(fmt::format("world size {} (from {}) needs torch.distributed, which this build lacks: {}",
                               d.world_size, d.launcher, unavailable_reason()));
}

void all_reduce(Group&, torch::Tensor&, Op) {}
void broadcast(Group&, torch::Tensor&, int) {}
std::vector<torch::Tensor> all_gather(Group&, const torch::Tensor& t) { return {t}; }

}  // namespace mecrl::agents::pg
