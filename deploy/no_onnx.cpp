// Stand-in for the ONNX writer when libonnx-dev was not found at configure
// time (chosen by CMake, like agents/no_torch.cpp): export stops with a hint.
#include <stdexcept>

#include "deploy/onnx_actor.h"

namespace mecrl::deploy {
namespace {
[[noreturn]] void unavailable() {
  throw std::runtime_error("this mecrl was built without libonnx-dev, so it cannot write policy.onnx: install "
                           "libonnx-dev libprotobuf-dev (./mecrl test does) and rebuild");
}
}  // namespace

std::string actor_onnx(const ActorWeights&, const std::string&, const std::map<std::string, std::string>&) {
  unavailable();
}
void check_onnx(const std::string&) { unavailable(); }

}  // namespace mecrl::deploy
