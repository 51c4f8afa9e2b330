#include "agents/dist_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace mecrl::agents {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int int_var(const char* name, long lo, long hi) {
  const char* v = env(name);
  long x = 0;
  const char* end = v + std::char_traits<char>::length(v);
  const auto [p, ec] = std::from_chars(v, end, x);
  if (ec != std::errc() || p != end || x < lo || x > hi) {
    throw UsageError(fmt::format("environment variable {} = '{}': expected an integer in [{}, {}]", name, v, lo, hi));
  }
  return static_cast<int>(x);
}

}  // namespace

DistEnv read_dist_env() {
  DistEnv d;
  constexpr long kMaxWorld = 1 << 16;
  if (env("WORLD_SIZE")) {  // torchrun, or `mecrl train --nproc`
    d.launcher = "torchrun";
    d.world_size = int_var("WORLD_SIZE", 1, kMaxWorld);
    d.rank = env("RANK") ? int_var("RANK", 0, d.world_size - 1) : 0;
    d.local_rank = env("LOCAL_RANK") ? int_var("LOCAL_RANK", 0, d.world_size - 1) : d.rank;
    d.local_world_size = env("LOCAL_WORLD_SIZE") ? int_var("LOCAL_WORLD_SIZE", 1, d.world_size) : d.world_size;
    if (d.world_size > 1 && !env("RANK")) throw UsageError("WORLD_SIZE > 1 but RANK is not set (torchrun sets both)");
  } else if (env("SLURM_NTASKS") && env("SLURM_PROCID")) {  // srun
    d.launcher = "slurm";
    d.world_size = int_var("SLURM_NTASKS", 1, kMaxWorld);
    d.rank = int_var("SLURM_PROCID", 0, d.world_size - 1);
    d.local_rank = env("SLURM_LOCALID") ? int_var("SLURM_LOCALID", 0, d.world_size - 1) : 0;
    // "4" or "4(x2)" (the same count on several nodes): the count is what leads.
    if (const char* v = env("SLURM_NTASKS_PER_NODE")) d.local_world_size = std::max(1, std::atoi(v));
  }
  if (const char* a = env("MASTER_ADDR")) d.master_addr = a;
  if (env("MASTER_PORT")) d.master_port = int_var("MASTER_PORT", 1, 65535);
  return d;
}

void bind_rank_gpu(const DistEnv& d) {
  if (!d.distributed()) return;
  const char* v = env("CUDA_VISIBLE_DEVICES");
  if (v == nullptr) {
    ::setenv("CUDA_VISIBLE_DEVICES", std::to_string(d.local_rank).c_str(), 1);
    return;
  }
  std::vector<std::string> gpus;
  std::istringstream list(v);
  for (std::string g; std::getline(list, g, ',');) gpus.push_back(g);
  if (gpus.size() <= 1) return;  // this rank's GPU already
  if (static_cast<size_t>(d.local_rank) >= gpus.size()) {
    throw UsageError(fmt::format("CUDA_VISIBLE_DEVICES = '{}' lists {} GPUs but this is local rank {} ({}): one GPU "
                                 "per rank",
                                 v, gpus.size(), d.local_rank, d.launcher));
  }
  ::setenv("CUDA_VISIBLE_DEVICES", gpus[static_cast<size_t>(d.local_rank)].c_str(), 1);
}

}  // namespace mecrl::agents
