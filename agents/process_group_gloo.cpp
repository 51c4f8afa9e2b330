// pg:: on c10d's ProcessGroupGloo: CPU tensors (built with USE_C10D_GLOO
// where LibTorch's gloo headers are there: agents/CMakeLists.txt).
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "agents/process_group_c10d.h"

namespace mecrl::agents::pg {

std::shared_ptr<Group> open_gloo(const DistEnv& d, double timeout_s) {
  try {
    auto store = c10d_glue::rendezvous(d, timeout_s);
    auto opts = c10d::ProcessGroupGloo::Options::create(c10d_glue::millis(timeout_s));
    // The interface that reaches MASTER_ADDR (localhost for one node).
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(d.master_addr));
    opts->threads = 1;  // one collective at a time: the trainer waits on each
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, d.rank, d.world_size, opts);
    return std::make_shared<c10d_glue::C10dGroup<c10d::ProcessGroupGloo>>(Backend::Gloo, torch::Device(torch::kCPU), d,
                                                                          timeout_s, store, pg, false);
  } catch (const std::exception& e) {
    c10d_glue::rendezvous_failed(d, timeout_s, "gloo", e);
  }
}

}  // namespace mecrl::agents::pg
