// Stand-in for the learners when LibTorch was not found at configure time.
#include <stdexcept>

#include "agents/api.h"

namespace mecrl::agents {
namespace {
[[noreturn]] void unavailable() {
  throw std::runtime_error("this mecrl was built without LibTorch: install libtorch-dev (./mecrl test does) and rebuild");
}
}  // namespace

bool available() { return false; }
int train(VecEnv&, const AgentConfig&, const std::vector<ResolvedKey>&, const std::string&, bool,
           std::shared_ptr<Communicator>) {
  unavailable();
}
std::shared_ptr<Communicator> join_ranks(const DistEnv& d, double, Device) {
  if (d.distributed()) unavailable();
  return nullptr;
}
std::string data_parallel_unavailable(Device) { return "this mecrl was built without LibTorch"; }
std::string from_rank0(Communicator*, const std::string& text) { return text; }
bool is_checkpoint(const std::string&) { return false; }
ActFn load_policy(const std::string&, bool) { unavailable(); }

}  // namespace mecrl::agents
