// pg:: on c10d's ProcessGroupNCCL: tensors on the rank's GPU (built with
// USE_C10D_NCCL where LibTorch has CUDA, ProcessGroupNCCL.hpp and the NCCL
// it was built with: agents/CMakeLists.txt).
//
// Failures: c10d's default for NCCL is a watchdog thread that, on a timeout
// or an NCCL error, tears the process down (SIGABRT and a page of log). We
// set TORCH_NCCL_BLOCKING_WAIT=1 instead (unless the user set it): no
// watchdog; Work::wait blocks this thread until the collective is done, an
// NCCL error shows (a dead peer's closed connection: ncclRemoteError), or
// train.dist_timeout_s passes; then c10d aborts the communicator and throws
// here, and process_group_c10d.h makes it one IoError line. A rank then exits
// 74 instead of hanging or aborting (docs/architecture.md, "Data-parallel
// training").
#include <cstdlib>

#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "agents/process_group_c10d.h"

namespace mecrl::agents::pg {
namespace {

class NcclGroup : public c10d_glue::C10dGroup<c10d::ProcessGroupNCCL> {
 public:
  using C10dGroup::C10dGroup;
  // An explicit end for the communicator, so that ~ProcessGroupNCCL has
  // nothing left to warn about: after the last collective a clean
  // ncclCommDestroy; after a failure (c10d aborted the communicator) an
  // abort, which never waits on the dead peer.
  ~NcclGroup() override {
    try {
      if (failed()) {
        pg().abort();
      } else {
        pg().shutdown();
      }
    } catch (...) {  // nothing to report at exit
    }
  }
};

}  // namespace

std::shared_ptr<Group> open_nccl(const DistEnv& d, double timeout_s, int device_index) {
  // Read by ProcessGroupNCCL's constructor.
  ::setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
  const torch::Device dev(torch::kCUDA, static_cast<c10::DeviceIndex>(device_index));
  try {
    // The rank's GPU is the current device before NCCL creates anything on it.
    c10::cuda::set_device(dev.index());
    auto store = c10d_glue::rendezvous(d, timeout_s);
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = c10d_glue::millis(timeout_s);  // every collective's limit (blocking wait)
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, d.rank, d.world_size, opts);
    // The communicator now, inside the rendezvous (torch.distributed's
    // init_process_group(device_id=...)): its failures (two ranks on one GPU,
    // an unreachable peer) are rendezvous failures, not the first
    // all-reduce's.
    pg->setBoundDeviceId(dev);
    pg->eagerConnectSingleDevice(dev);
    return std::make_shared<NcclGroup>(Backend::Nccl, dev, d, timeout_s, store, pg, true);
  } catch (const std::exception& e) {
    c10d_glue::rendezvous_failed(d, timeout_s, "nccl", e);
  }
}

}  // namespace mecrl::agents::pg
