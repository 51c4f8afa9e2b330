// Rollout and end-to-end training throughput (LibTorch learners), on the CPU
// and, when present, the GPU. Counters (items/s): env_steps (cell-slots),
// user_slots, decisions; end-to-end runs also report the fraction of
// iteration time spent in env, inference, GAE, update and world model.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "../bench_params.h"
#include "agents/distributed.h"
#include "agents/process_group.h"
#include "agents/trainer.h"
#include "core/config.h"
#include "cuda/backend.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"

namespace {

using namespace mecrl;


std::unique_ptr<VecEnv> make_env(bool gpu, int envs, int users) {
  if (gpu) return cuda::make_offload_env(bench::offload_params(users), envs);
  return std::make_unique<ScenarioEnv<offload::OffloadScenario, CpuExec>>(bench::offload_params(users), envs, CpuExec{0});
}

agents::AgentConfig agent_config(int envs, bool wm, bool profile = true, bool graph = false) {
  agents::AgentConfig c;
  c.train.num_envs = envs;
  c.train.rollout_steps = 64;
  c.train.total_steps = 1ll << 40;
  c.train.profile = profile;  // phase fractions need syncs: separate cases
  c.train.cuda_graph = graph;
  c.train.quiet = true;  // progress lines would interleave with the benchmark table
  c.ppo.critic = "user";
  c.ppo.reward = "mix";
  c.ppo.norm_reward = true;
  c.ppo.value_sample = 0.25f;
  c.lag.mode = "lagrangian";
  c.lag.lambda_init = {0.5f, 0.5f, 0.5f};
  c.lag.limits = {0.f, 0.f, 0.f};
  c.wm.enabled = wm;
  c.wm.hidden = 128;
  c.wm.warmup_iterations = 0;
  c.wm.gate_threshold = 1e6f;  // always imagine: measure the full cost
  return c;
}

bool skip_without_gpu(benchmark::State& state, bool gpu) {
  if (gpu && cuda::device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return true;
  }
  return false;
}

void set_rates(benchmark::State& state, double steps, int users, double decisions) {
  state.counters["env_steps"] = benchmark::Counter(steps, benchmark::Counter::kIsRate);
  state.counters["user_slots"] = benchmark::Counter(steps * users, benchmark::Counter::kIsRate);
  state.counters["decisions"] = benchmark::Counter(decisions, benchmark::Counter::kIsRate);
  state.SetItemsProcessed(static_cast<int64_t>(steps) * users);
}

void BM_Rollout(benchmark::State& state, bool gpu) {
  if (skip_without_gpu(state, gpu)) return;
  const int envs = static_cast<int>(state.range(0)), users = static_cast<int>(state.range(1));
  auto env = make_env(gpu, envs, users);
  agents::Trainer t(*env, agent_config(envs, false), "");
  t.rollout_only();  // warm-up
  double decisions = 0;
  for (auto _ : state) decisions += t.rollout_only().decisions;
  set_rates(state, static_cast<double>(state.iterations()) * envs * 64, users, decisions);
}

// Cases: profiled (phase fractions; synchronises at every phase boundary)
// and not (throughput: the one metrics read per iteration), eager and with
// the rollout as a CUDA graph.
void BM_Train(benchmark::State& state, bool gpu, bool wm, bool profile = true, bool graph = false) {
  if (skip_without_gpu(state, gpu)) return;
  const int envs = static_cast<int>(state.range(0)), users = static_cast<int>(state.range(1));
  auto env = make_env(gpu, envs, users);
  agents::Trainer t(*env, agent_config(envs, wm, profile, graph), "");
  t.iterate();  // warm-up (and, with the world model, a first model fit; the decision capacity settles)
  t.iterate();  // with a graph: the capture
  double decisions = 0, env_s = 0, inf_s = 0, gae_s = 0, upd_s = 0, wm_s = 0, total = 0;
  for (auto _ : state) {
    const auto st = t.iterate();
    decisions += st.decisions;
    env_s += st.t_env;
    inf_s += st.t_infer;
    gae_s += st.t_gae;
    upd_s += st.t_update;
    wm_s += st.t_wm;
    total += st.seconds;
  }
  set_rates(state, static_cast<double>(state.iterations()) * envs * 64, users, decisions);
  state.counters["frac_env"] = env_s / total;
  state.counters["frac_inference"] = inf_s / total;
  state.counters["frac_gae"] = gae_s / total;
  state.counters["frac_update"] = upd_s / total;
  state.counters["frac_world_model"] = wm_s / total;
}

// ---- Data-parallel scaling (issue 17): R ranks on this machine, each a
// process with E envs and cores/R threads, gradients averaged over Gloo.
// Rank 0 is the benchmark process; ranks 1.. are this binary started again
// with MECRL_BENCH_DP=<rank> (run before main, below), which do the same
// iterations in lockstep. user_slots counts every rank's envs.
constexpr int kDpWarmup = 2, kDpIterations = 3;

agents::DistEnv dp_env(int rank, int ranks, int port) {
  agents::DistEnv d;
  d.rank = rank;
  d.world_size = d.local_world_size = ranks;
  d.master_port = port;
  d.launcher = "bench";
  return d;
}

int dp_threads(int ranks) { return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / ranks); }

void dp_train(agents::Trainer& t, int iterations) {
  for (int i = 0; i < iterations; ++i) t.iterate();
}

// The helper ranks' side: MECRL_BENCH_DP="rank ranks port envs users".
[[maybe_unused]] const int kDpHelper = [] {
  const char* spec = std::getenv("MECRL_BENCH_DP");
  if (!spec) return 0;
  int rank = 0, ranks = 0, port = 0, envs = 0, users = 0;
  if (std::sscanf(spec, "%d %d %d %d %d", &rank, &ranks, &port, &envs, &users) != 5) std::_Exit(2);
  try {
    torch::set_num_threads(dp_threads(ranks));
    auto comm = std::make_shared<agents::Communicator>(dp_env(rank, ranks, port), 60.0, torch::kCPU);
    auto p = bench::offload_params(users);
    p.first_env = static_cast<uint32_t>(rank * envs);
    ScenarioEnv<offload::OffloadScenario, CpuExec> env(p, envs, CpuExec{dp_threads(ranks)});
    agents::Trainer t(env, agent_config(envs, false, false), "", {}, comm);
    dp_train(t, kDpWarmup + kDpIterations);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench rank %d: %s\n", rank, e.what());
    std::_Exit(1);
  }
  std::_Exit(0);
}();

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

void BM_TrainDataParallelCpu(benchmark::State& state) {
  const int ranks = static_cast<int>(state.range(0)), envs = static_cast<int>(state.range(1)),
            users = static_cast<int>(state.range(2));
  if (ranks > 1 && !agents::pg::available(agents::pg::Backend::Gloo)) {
    state.SkipWithError(("no c10d Gloo: " + agents::pg::unavailable_reason(agents::pg::Backend::Gloo)).c_str());
    return;
  }
  const int port = free_local_port();
  std::vector<pid_t> helpers;
  for (int r = 1; r < ranks; ++r) {
    const std::string spec = "MECRL_BENCH_DP=" + std::to_string(r) + " " + std::to_string(ranks) + " " +
                             std::to_string(port) + " " + std::to_string(envs) + " " + std::to_string(users);
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
    env_s.push_back(spec);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    char exe[] = "/proc/self/exe";
    char* argv[] = {exe, nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, exe, nullptr, nullptr, argv, envp.data()) != 0) {
      state.SkipWithError("cannot start a helper rank");
      return;
    }
    helpers.push_back(pid);
  }
  const int saved_threads = torch::get_num_threads();
  torch::set_num_threads(dp_threads(ranks));
  {
    auto comm = std::make_shared<agents::Communicator>(dp_env(0, ranks, port), 60.0, torch::kCPU);
    auto p = bench::offload_params(users);
    ScenarioEnv<offload::OffloadScenario, CpuExec> env(p, envs, CpuExec{dp_threads(ranks)});
    agents::Trainer t(env, agent_config(envs, false, false), "", {}, comm);
    dp_train(t, kDpWarmup);
    for (auto _ : state) t.iterate();
  }
  torch::set_num_threads(saved_threads);
  for (const pid_t pid : helpers) {
    int st = 0;
    waitpid(pid, &st, 0);
    if (st != 0) state.SkipWithError("a helper rank failed");
  }
  const double steps = static_cast<double>(state.iterations()) * envs * 64 * ranks;
  state.counters["env_steps"] = benchmark::Counter(steps, benchmark::Counter::kIsRate);
  state.counters["user_slots"] = benchmark::Counter(steps * users, benchmark::Counter::kIsRate);
  state.counters["ranks"] = ranks;
  state.SetItemsProcessed(static_cast<int64_t>(steps) * users);
}

// 1 vs 2 ranks of 16 envs x 100 users each (PPO-Lagrangian, no profiling).
BENCHMARK(BM_TrainDataParallelCpu)
    ->ArgNames({"ranks", "envs", "users"})
    ->Args({1, 16, 100})
    ->Args({2, 16, 100})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(kDpIterations);

BENCHMARK_CAPTURE(BM_Rollout, Cpu, false)->Args({16, 100})->Args({64, 50})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Train, PpoCpu, false, false)->Args({16, 100})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(BM_Train, WmPpoCpu, false, true)->Args({16, 100})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(BM_Rollout, Cuda, true)
    ->ArgsProduct({{1 << 10, 1 << 12, 1 << 14}, {50, 200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// Issue 13's targets: N = 200, 4,096 envs, profiling off.
BENCHMARK_CAPTURE(BM_Train, PpoCuda, true, false, false, false)
    ->ArgsProduct({{1 << 10, 1 << 12}, {50, 200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);
BENCHMARK_CAPTURE(BM_Train, PpoCudaGraph, true, false, false, true)
    ->ArgsProduct({{1 << 10, 1 << 12}, {200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);
BENCHMARK_CAPTURE(BM_Train, WmPpoCuda, true, true, false, false)
    ->ArgsProduct({{1 << 10, 1 << 12}, {200}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);
// Where the time goes (synchronised phase timings).
BENCHMARK_CAPTURE(BM_Train, PpoCudaProfiled, true, false, true, false)
    ->Args({1 << 12, 200})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Train, WmPpoCudaProfiled, true, true, true, false)
    ->Args({1 << 12, 200})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace

