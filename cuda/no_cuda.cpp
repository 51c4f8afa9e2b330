// Stand-in for the CUDA backend when the project is configured without CUDA:
// the same functions, reporting that no GPU path was built.
#include <stdexcept>

#include "cuda/backend.h"
#include "cuda/gae.h"

namespace mecrl::cuda {
namespace {
[[noreturn]] void unavailable() {
  throw std::runtime_error("this mecrl was built without CUDA (nvcc not found at configure time); use device=cpu");
}
}  // namespace

bool built_with_cuda() { return false; }
int device_count() { return 0; }
std::string device_name(int) { return "none"; }
std::unique_ptr<VecEnv> make_offload_env(const offload::OffloadParams&, int, bool) { unavailable(); }
std::unique_ptr<VecEnv> make_uncertainty_env(const uncertainty::UncertaintyParams&, int, bool) { unavailable(); }
std::unique_ptr<VecEnv> make_cartpole_env(const cartpole::CartPoleParams&, int) { unavailable(); }
void copy_to_host(void*, const void*, size_t) { unavailable(); }
void copy_to_device(void*, const void*, size_t) { unavailable(); }
void* device_alloc(size_t) { unavailable(); }
void device_free(void*) {}
void synchronize() {}
const DeviceOps& device_ops() { unavailable(); }

}  // namespace mecrl::cuda

namespace mecrl::gae {
void run_cuda(const Args&, void*) {
  throw std::runtime_error("this mecrl was built without CUDA (nvcc not found at configure time); use device=cpu");
}
}  // namespace mecrl::gae
