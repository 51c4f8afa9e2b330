// mecrl train: validate the whole config, create (or lock, to resume)
// runs/<name>/, train; as one rank of a data-parallel run (torchrun, srun,
// or --nproc: apps/launch_ranks.h) rank 0 does the file work.
#include <fmt/format.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "agents/api.h"
#include "apps/commands.h"
#include "apps/env_factory.h"
#include "apps/launch_ranks.h"
#include "apps/scenario_config.h"
#include "apps/settings.h"
#include "core/atomic_file.h"
#include "core/dir_lock.h"
#include "core/error.h"
#include "core/stop_signal.h"
#include "cuda/backend.h"

namespace fs = std::filesystem;

namespace mecrl::app {
namespace {

std::string timestamp() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
  return buf;
}

// The resolved config as written to config.yaml, without the keys that only
// steer one invocation (`resume`, `train.time_limit_s`, `train.dist_timeout_s`), so a resumed run can
// be checked against it.
std::string config_text(const std::vector<ResolvedKey>& keys) {
  std::vector<ResolvedKey> kept;
  for (const auto& k : keys) {
    if (k.key != "resume" && k.key != "train.time_limit_s" && k.key != "train.dist_timeout_s") kept.push_back(k);
  }
  std::ostringstream os;
  write_config_yaml(os, kept);
  return os.str();
}

// runs_dir/<stem>, or <stem>-2, -3, ... if another run took that name first
// (two runs of one config started within a second): mkdir is the arbiter,
// so two processes never share a directory.
std::string create_run_dir(const std::string& runs_dir, const std::string& stem) {
  std::error_code ec;
  fs::create_directories(runs_dir, ec);
  if (ec) throw IoError(fmt::format("cannot create the runs directory '{}': {}", runs_dir, ec.message()), ec.value());
  for (int n = 1;; ++n) {
    const std::string dir = fmt::format("{}/{}{}", runs_dir, stem, n == 1 ? "" : fmt::format("-{}", n));
    if (fs::create_directory(dir, ec)) return dir;
    if (ec) throw IoError(fmt::format("cannot create the run directory '{}': {}", dir, ec.message()), ec.value());
    if (n >= 1000) throw IoError(fmt::format("'{}': 1000 runs named '{}' already", runs_dir, stem), EEXIST);
  }
}

// resume=<dir>: the run must exist, have a checkpoint, and have been made by
// this config. Read-only: a refused resume leaves the run as it was.
void check_resumable(const std::string& run_dir, const std::string& text, const std::string& origin) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) {
    throw UsageError(fmt::format("{}: resume = '{}' is not a run directory", origin, run_dir));
  }
  const fs::path last = fs::path(run_dir) / "checkpoints" / "last";
  if (!fs::exists(fs::symlink_status(last, ec))) {
    throw UsageError(fmt::format("{}: resume = '{}': no checkpoint at {}", origin, run_dir, last.string()));
  }
  std::string saved;
  try {
    saved = read_file(run_dir + "/config.yaml");
  } catch (const IoError& e) {
    throw UsageError(fmt::format("{}: resume = '{}': {}", origin, run_dir, e.what()));
  }
  if (saved != text) {
    std::istringstream a(saved), b(text);
    std::string la, lb;
    while (std::getline(a, la) && std::getline(b, lb) && la == lb) {}
    throw UsageError(fmt::format("{}: resume = '{}': the config differs from the run's config.yaml (run: '{}', now: '{}')",
                                 origin, run_dir, la, lb));
  }
}

// Rank 0 names the run directory (creating it, or checking the one to
// resume); the other ranks learn its name from rank 0, or that rank 0
// refused (nullopt: rank 0 prints the one error line, they stay quiet).
std::optional<std::string> claim_run_dir(const Settings& s, const std::string& text, bool resume,
                                         agents::Communicator* comm, int rank) {
  const agents::AgentConfig& ac = s.agent;
  std::string run_dir;
  if (rank == 0) {
    try {
      if (resume) {
        run_dir = ac.train.resume;
        check_resumable(run_dir, text, origin_of(s, "resume"));
      } else {
        const std::string name = ac.train.name.empty() ? s.env.scenario + "__" + agents::learner_name(ac) : ac.train.name;
        run_dir = create_run_dir(ac.train.runs_dir, fmt::format("{}__{}__{}", name, ac.seed, timestamp()));
      }
    } catch (const UsageError& e) {
      agents::from_rank0(comm, "\x01");
      throw;
    }
  }
  run_dir = agents::from_rank0(comm, run_dir);
  if (run_dir == "\x01") return std::nullopt;
  return run_dir;
}

// `--nproc N`: what every rank would refuse alike is refused here, once,
// before any rank starts (the config, the device, the backend, the GPUs).
void check_before_launch(const TrainArgs& args) {
  if (std::getenv("WORLD_SIZE")) throw UsageError("--nproc inside a launched rank (WORLD_SIZE is set): drop one");
  const Settings s = read_settings(load_config(args.config, args.overrides));
  if (!agents::available()) throw UsageError("train needs LibTorch; this mecrl was built without it");
  const Device device = pick_device(s.agent.train.device, "train.device", origin_of(s, "train.device"));
  if (const std::string why = agents::data_parallel_unavailable(device); !why.empty()) {
    throw UsageError(fmt::format("--nproc {}: {}", args.nproc, why));
  }
  if (device == Device::Cuda && args.nproc > cuda::device_count()) {
    throw UsageError(fmt::format("--nproc {} on the GPU: {} GPU(s) visible; NCCL runs one rank per GPU (--nproc {}, "
                                 "or train.device=cpu)",
                                 args.nproc, cuda::device_count(), cuda::device_count()));
  }
}

}  // namespace

int run_train(const TrainArgs& args) {
  if (args.nproc > 0) {
    check_before_launch(args);
    std::vector<std::string> rank_args{"train", "-c", args.config};
    rank_args.insert(rank_args.end(), args.overrides.begin(), args.overrides.end());
    return launch_local_ranks(args.nproc, rank_args);
  }
  const agents::DistEnv dist = agents::read_dist_env();
  const Settings s = read_settings(load_config(args.config, args.overrides));
  agents::AgentConfig ac = s.agent;
  if (!agents::available()) throw UsageError("train needs LibTorch; this mecrl was built without it");
  // One GPU per rank on a node: rank LOCAL_RANK sees only its GPU, as cuda:0 (before CUDA starts).
  if (ac.train.device != "cpu") agents::bind_rank_gpu(dist);
  const Device device = pick_device(ac.train.device, "train.device", origin_of(s, "train.device"));
  // The ranks of a node share its cores.
  if (dist.distributed() && ac.train.threads == 0) {
    ac.train.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / dist.local_world_size);
  }
  const auto comm = agents::join_ranks(dist, ac.train.dist_timeout_s, device);

  if (!ac.train.num_users.empty()) s.env.check_population(origin_of(s, "train.num_users"));  // before any write
  const bool resume = !ac.train.resume.empty();
  const std::string text = config_text(s.resolved);
  const auto claimed = claim_run_dir(s, text, resume, comm.get(), dist.rank);
  if (!claimed) return kExitUsage;  // rank 0 said why
  const std::string& run_dir = *claimed;
  // One process per run directory, for as long as it trains (rank 0 holds it for all).
  std::optional<DirLock> lock;
  if (dist.rank == 0) {
    lock.emplace(run_dir);
    if (resume) {
      // A save killed half-way left its temporary directory; no one else
      // writes here while we hold the lock.
      remove_stale_temporaries(run_dir + "/checkpoints/last");
      remove_stale_temporaries(run_dir + "/config.yaml");
    } else {
      write_file_atomic(run_dir + "/config.yaml", text);
    }
    print_config_table(std::cout, s.resolved);
    std::cout << fmt::format("device: {}{} | run directory: {}{}{}\n", device == Device::Cuda ? "cuda " : "cpu",
                             device == Device::Cuda ? cuda::device_name(0) : "", run_dir, resume ? " (resuming)" : "",
                             dist.distributed() ? fmt::format(" | {} ranks ({}), {} envs each", dist.world_size,
                                                              dist.launcher, ac.train.num_envs)
                                                : "");
  }
  const auto first_env = static_cast<uint32_t>(dist.rank) * static_cast<uint32_t>(ac.train.num_envs);
  auto env = ac.train.num_users.empty()
                 ? s.env.make(ac.train.num_envs, device, ac.train.threads, first_env)
                 : s.env.make_population(ac.train.num_users, ac.train.num_envs, device, ac.train.threads, first_env,
                                         origin_of(s, "train.num_users"));
  // Ctrl-C or a scheduler's SIGTERM: stop after this iteration with a checkpoint. A second Ctrl-C
  // kills at once; in a launched rank it is the launcher that does so (core/stop_signal.h).
  int stopped_by = 0;
  try {
    const StopSignalScope signals(/*second_sigint_kills=*/!dist.distributed());
    stopped_by = agents::train(*env, ac, s.resolved, run_dir, resume, comm);
  } catch (const EnvStateError& e) {  // thrown only by the resume's env.load_state
    throw UsageError(fmt::format("{}/checkpoints/last/env_state.bin: {}", run_dir, e.what()));
  }
  if (stopped_by != 0) return 128 + stopped_by;  // the shell's code for "ended by that signal"
  if (dist.rank == 0) std::cout << "done: " << run_dir << "\n";
  return 0;
}

}  // namespace mecrl::app
