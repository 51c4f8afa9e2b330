// mecrl train: validate the whole config, create runs/<name>/, train.
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "agents/api.h"
#include "apps/commands.h"
#include "apps/env_factory.h"
#include "apps/scenario_config.h"
#include "core/atomic_file.h"
#include "core/error.h"
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
// steer one invocation (`resume`, `train.time_limit_s`), so a resumed run can
// be checked against it.
std::string config_text(const std::vector<ResolvedKey>& keys) {
  std::vector<ResolvedKey> kept;
  for (const auto& k : keys) {
    if (k.key != "resume" && k.key != "train.time_limit_s") kept.push_back(k);
  }
  std::ostringstream os;
  write_config_yaml(os, kept);
  return os.str();
}

}  // namespace

int run_train(const CommonArgs& args) {
  const Config cfg = load_config(args.config, args.overrides);
  ConfigReader r(cfg);
  const EnvFactory factory = read_env_factory(r);
  r.allow_prefix("eval.");  // training presets may carry their eval protocol
  const int costs = factory.make(1, Device::Cpu, 1)->dims().costs;
  const agents::AgentConfig ac = agents::read_agent_config(r, costs);
  r.finish();
  if (!agents::available()) throw UsageError("train needs LibTorch; this mecrl was built without it");
  const Device device = pick_device(ac.train.device);

  const bool resume = !ac.train.resume.empty();
  std::string run_dir;
  const std::string text = config_text(r.resolved());
  if (resume) {
    run_dir = ac.train.resume;
    if (!fs::exists(run_dir + "/checkpoints/last/trainer.json")) {
      throw UsageError(fmt::format("resume = '{}': no checkpoint at {}/checkpoints/last", run_dir, run_dir));
    }
    const std::string saved = fs::exists(run_dir + "/config.yaml") ? read_file(run_dir + "/config.yaml") : "";
    if (saved != text) {
      std::istringstream a(saved), b(text);
      std::string la, lb;
      while (std::getline(a, la) && std::getline(b, lb) && la == lb) {}
      throw UsageError(fmt::format("resume = '{}': the config differs from the run's config.yaml (run: '{}', now: '{}')",
                                   run_dir, la, lb));
    }
  } else {
    const std::string name = ac.train.name.empty() ? factory.scenario + "__" + agents::learner_name(ac) : ac.train.name;
    run_dir = fmt::format("{}/{}__{}__{}", ac.train.runs_dir, name, ac.seed, timestamp());
    fs::create_directories(run_dir);
    write_file_atomic(run_dir + "/config.yaml", text);
  }
  print_config_table(std::cout, r.resolved());
  std::cout << fmt::format("device: {}{} | run directory: {}{}\n", device == Device::Cuda ? "cuda " : "cpu",
                           device == Device::Cuda ? cuda::device_name(0) : "", run_dir, resume ? " (resuming)" : "");
  auto env = factory.make(ac.train.num_envs, device, ac.train.threads);
  agents::train(*env, ac, r.resolved(), run_dir, resume);
  std::cout << "done: " << run_dir << "\n";
  return 0;
}

}  // namespace mecrl::app
