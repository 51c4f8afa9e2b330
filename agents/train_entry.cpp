// agents::train (agents/api.h): builds a Trainer and runs it; joining the
// other ranks of a data-parallel run.
#include <torch/torch.h>

#include <fmt/format.h>

#include "agents/api.h"
#include "agents/distributed.h"
#include "agents/env_tensors.h"
#include "agents/process_group.h"
#include "agents/trainer.h"

namespace mecrl::agents {

int train(VecEnv& env, const AgentConfig& cfg, const std::vector<ResolvedKey>& resolved, const std::string& run_dir,
           bool resume, std::shared_ptr<Communicator> comm) {
  if (cfg.train.threads > 0) torch::set_num_threads(cfg.train.threads);
  Trainer trainer(env, cfg, run_dir, resolved, std::move(comm));
  if (resume) trainer.resume();
  return trainer.train();
}

std::shared_ptr<Communicator> join_ranks(const DistEnv& d, double timeout_s, Device device) {
  return std::make_shared<Communicator>(d, timeout_s, torch_device(device));
}

std::string data_parallel_unavailable(Device device) {
  const auto b = pg::backend_for(torch_device(device));
  return pg::available(b) ? "" : fmt::format("{} ranks need torch.distributed's {} backend, which this build lacks: {}",
                                             device == Device::Cuda ? "GPU" : "CPU", pg::backend_name(b),
                                             pg::unavailable_reason(b));
}

std::string from_rank0(Communicator* comm, const std::string& text) {
  return comm ? comm->broadcast_string(text) : text;
}

}  // namespace mecrl::agents
