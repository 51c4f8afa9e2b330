// One rank of a small data-parallel training run, for the tests of
// tests/agents/test_distributed.cpp: it records what the tests compare.
//
//   mecrl_dist_probe <out_dir> <nproc> <config.yaml> <envs> <iterations> [flag ...] [-- key=value ...]
//
// nproc > 0 starts that many local ranks of itself (apps/launch_ranks.h, as
// `mecrl train --nproc` does); 0 runs as the rank the environment names
// (WORLD_SIZE unset: one process). Every rank writes
// <out_dir>/rank<r>.safetensors:
//   it<i>.params  [P] float64   every policy parameter and buffer after iteration i
//   it<i>.stats   [6] float64   policy loss, value loss, entropy, approx KL, reward per step, explained variance
// Flags:
//   lag       PPO-Lagrangian (every normaliser on)        wm      world-model PPO
//   exact     one minibatch, advantages not normalised (2 x E == 1 x 2E)
//   die=<i>   rank 1 kills itself (SIGKILL) at the start of iteration i
//   save=<i>  stop after iteration i with a checkpoint in <out_dir>/run
//   resume    continue from <out_dir>/run's checkpoint
//   cuda      the envs and the learner on the GPU (one per rank, over NCCL)
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/api.h"
#include "agents/distributed.h"
#include "agents/trainer.h"
#include "agents/trainer_configs.h"
#include "apps/env_factory.h"
#include "apps/launch_ranks.h"
#include "core/config.h"
#include "core/error.h"
#include "core/safetensors.h"

namespace {

using namespace mecrl;

int probe(int argc, char** argv) {
  const std::string out = argv[1], config = argv[3];
  const int nproc = std::atoi(argv[2]), envs = std::atoi(argv[4]), iterations = std::atoi(argv[5]);
  if (nproc > 0) {
    std::vector<std::string> args(argv + 1, argv + argc);
    args[1] = "0";
    return app::launch_local_ranks(nproc, args);
  }
  bool lag = false, wm = false, exact = false, resume = false, cuda = false;
  int die = -1, save = -1;
  Config cfg = Config::load(config);
  for (int k = 6; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "lag") lag = true;
    else if (a == "wm") wm = true;
    else if (a == "exact") exact = true;
    else if (a == "resume") resume = true;
    else if (a == "cuda") cuda = true;
    else if (a.rfind("die=", 0) == 0) die = std::atoi(a.c_str() + 4);
    else if (a.rfind("save=", 0) == 0) save = std::atoi(a.c_str() + 5);
    else if (const auto eq = a.find('='); eq != std::string::npos) cfg.set(a.substr(0, eq), a.substr(eq + 1), "probe");
  }
  ConfigReader r(cfg);
  const app::EnvFactory factory = app::read_env_factory(r);
  const agents::DistEnv dist = agents::read_dist_env();
  agents::AgentConfig ac = lag ? agents::test_configs::small_lagrangian_config(0.5f) : agents::test_configs::small_config();
  if (wm) agents::test_configs::add_small_world_model(ac);
  ac.train.num_envs = envs;
  ac.train.total_steps = 1000LL * envs * ac.train.rollout_steps * dist.world_size;  // never the last iteration
  ac.train.quiet = true;
  ac.ppo.norm_obs = ac.ppo.norm_reward = true;
  if (exact) {
    ac.ppo.num_minibatches = 1;
    ac.ppo.norm_adv = false;
  }
  ac.train.dist_timeout_s = 30;
  torch::set_num_threads(1);
  const Device device = cuda ? Device::Cuda : Device::Cpu;
  if (cuda) agents::bind_rank_gpu(dist);
  auto comm = agents::join_ranks(dist, ac.train.dist_timeout_s, device);
  auto env = factory.make(envs, device, 1, static_cast<uint32_t>(dist.rank * envs));
  const std::string run_dir = save > 0 || resume ? out + "/run" : "";
  agents::Trainer trainer(*env, ac, run_dir, {}, comm);
  if (resume) trainer.resume();
  std::map<std::string, TensorBlob> record;
  for (int it = static_cast<int>(trainer.iteration()) + 1; it <= iterations; ++it) {
    if (it == die && dist.rank == 1) ::raise(SIGKILL);
    const agents::IterationStats st = trainer.iterate();
    std::vector<torch::Tensor> flat;
    for (const auto& p : trainer.policy()->parameters()) flat.push_back(p.detach().reshape({-1}).to(torch::kFloat64));
    for (const auto& b : trainer.policy()->buffers()) flat.push_back(b.detach().reshape({-1}).to(torch::kFloat64));
    const auto params = torch::cat(flat).to(torch::kCPU).contiguous();
    record["it" + std::to_string(it) + ".params"] = make_f64({params.numel()}, params.data_ptr<double>());
    const double stats[] = {st.policy_loss, st.value_loss, st.entropy, st.approx_kl, st.reward_per_step, st.explained_variance};
    record["it" + std::to_string(it) + ".stats"] = make_f64({6}, stats);
    if (it == save) {
      trainer.save(run_dir + "/checkpoints/last");
      break;
    }
  }
  write_safetensors(out + "/rank" + std::to_string(dist.rank) + ".safetensors", record);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: mecrl_dist_probe <out_dir> <nproc> <config.yaml> <envs> <iterations> [flags]\n");
    return 2;
  }
  try {
    return probe(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "mecrl_dist_probe: error: %s\n", e.what());
    return kExitUsage;
  } catch (const IoError& e) {
    std::fprintf(stderr, "mecrl_dist_probe: I/O error: %s\n", e.what());
    return kExitIoError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mecrl_dist_probe: fatal: %s\n", e.what());
    return 1;
  }
}
