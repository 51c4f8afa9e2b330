// Data-parallel training on c10d over localhost (issue 17): 1-3 ranks of
// tests/tools/dist_probe.cpp, or of `mecrl train --nproc`, on the CPU (Gloo);
// on GPUs (NCCL) where the machine has them (DistributedCuda.*, skipped
// here with the reason).
// Expected values come from other runs, never from the code under test:
// the ranks against each other, 2 ranks x E envs against 1 rank x 2E envs,
// a resumed run against an uninterrupted one.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "agents/process_group.h"
#include "core/safetensors.h"
#include <nlohmann/json.hpp>
#include "run_command.h"
#include "temp_dir.h"
#include "core/remove_tree.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

using agents::pg::Backend;

#define SKIP_WITHOUT(backend)                                                                        \
  if (!agents::pg::available(backend)) GTEST_SKIP() << "no c10d " << agents::pg::backend_name(backend) \
                                                    << " in this build: " << agents::pg::unavailable_reason(backend)
#define SKIP_WITHOUT_C10D() SKIP_WITHOUT(Backend::Gloo)
// NCCL runs one rank per GPU (two ranks on one GPU: "Duplicate GPU detected").
#define SKIP_WITHOUT_GPUS(n)                                                                       \
  SKIP_WITHOUT(Backend::Nccl);                                                                     \
  if (const int gpus = static_cast<int>(torch::cuda::device_count()); gpus < (n))                  \
  GTEST_SKIP() << (n) << " rank(s) on NCCL need " << (n) << " GPU(s), one per rank; this machine has " << gpus

const std::string kCartPole = MECRL_SOURCE_DIR "/configs/cartpole.yaml";
const std::string kOffload = MECRL_SOURCE_DIR "/configs/offload.yaml";
const std::vector<std::string> kSmallOffload = {"env.num_users=6", "env.episode_slots=40"};

testing::CommandResult probe(const fs::path& out, int nproc, const std::string& config, int envs, int iterations,
                             std::vector<std::string> flags = {}) {
  fs::create_directories(out);
  std::vector<std::string> args = {MECRL_DIST_PROBE, out.string(), std::to_string(nproc), config,
                                   std::to_string(envs), std::to_string(iterations)};
  args.insert(args.end(), flags.begin(), flags.end());
  return testing::run_command(args);
}

std::vector<double> values(const fs::path& file, const std::string& name) {
  const SafetensorsFile f = read_safetensors(file.string());
  const auto it = f.tensors.find(name);
  if (it == f.tensors.end()) throw std::runtime_error(file.string() + " has no " + name);
  return tensor_values<double>(it->second);
}

// Every rank's parameters equal rank 0's, bit for bit, after every iteration.
void expect_ranks_agree(const fs::path& out, int ranks, int iterations) {
  for (int it = 1; it <= iterations; ++it) {
    const std::string key = "it" + std::to_string(it) + ".params";
    const auto p0 = values(out / "rank0.safetensors", key);
    for (int r = 1; r < ranks; ++r) {
      const auto pr = values(out / ("rank" + std::to_string(r) + ".safetensors"), key);
      ASSERT_EQ(pr.size(), p0.size());
      size_t differ = 0;
      for (size_t k = 0; k < p0.size(); ++k) differ += std::memcmp(&p0[k], &pr[k], sizeof(double)) != 0;
      EXPECT_EQ(differ, 0u) << "rank " << r << ", iteration " << it << ": " << differ << " of " << p0.size()
                            << " parameters differ from rank 0's";
    }
  }
}

// And the run learned something: the parameters moved.
void expect_moved(const fs::path& out, int iterations) {
  const auto a = values(out / "rank0.safetensors", "it1.params");
  const auto b = values(out / "rank0.safetensors", "it" + std::to_string(iterations) + ".params");
  double change = 0;
  for (size_t k = 0; k < a.size(); ++k) change += std::abs(a[k] - b[k]);
  EXPECT_GT(change, 0.0);
}

// The learners x world sizes: every rank holds the same weights after every
// update, and the weights moved.
struct AgreeCase {
  const char* name;
  int ranks, envs;
  std::string config;
  std::vector<std::string> flags;
};

void PrintTo(const AgreeCase& c, std::ostream* os) { *os << c.name; }

class RanksAgree : public ::testing::TestWithParam<AgreeCase> {};

TEST_P(RanksAgree, ParametersIdenticalAfterEveryUpdate) {
  SKIP_WITHOUT_C10D();
  const AgreeCase& c = GetParam();
  const fs::path out = testing::fresh_scratch_dir(std::string("dist_agree_") + c.name);
  const auto r = probe(out, c.ranks, c.config, c.envs, 3, c.flags);
  ASSERT_EQ(r.status, 0) << r.err;
  expect_ranks_agree(out, c.ranks, 3);
  expect_moved(out, 3);
  mecrl::remove_tree(out);
}

std::vector<std::string> with_small_offload(std::vector<std::string> flags) {
  flags.insert(flags.end(), kSmallOffload.begin(), kSmallOffload.end());
  return flags;
}

INSTANTIATE_TEST_SUITE_P(
    Distributed, RanksAgree,
    ::testing::Values(AgreeCase{"ppo_2", 2, 4, kCartPole, {}}, AgreeCase{"ppo_3", 3, 2, kCartPole, {}},
                      AgreeCase{"ppo_lag_wm_2", 2, 2, kOffload, with_small_offload({"lag", "wm"})},
                      AgreeCase{"ppo_lag_3", 3, 2, kOffload, with_small_offload({"lag"})}),
    [](const ::testing::TestParamInfo<AgreeCase>& i) { return std::string(i.param.name); });

// 2 ranks x 4 envs == 1 rank x 8 envs with one minibatch (so both average
// the same rows' gradients) and unnormalised advantages (a per-minibatch
// statistic: each rank normalises its own rows). What remains is the order
// of floating-point sums (the all-reduce's, and the batch's in each matmul).
// Not compared: the explained variance, a per-rank statistic averaged over
// ranks (the variance of the union is not the mean of the variances).
TEST(Distributed, TwoRanksEqualOneRankWithTwiceTheEnvs) {
  SKIP_WITHOUT_C10D();
  const fs::path out1 = testing::fresh_scratch_dir("dist_eq1"), out2 = testing::fresh_scratch_dir("dist_eq2");
  const int iterations = 3;
  const auto one = probe(out1, 0, kCartPole, 8, iterations, {"exact"});
  ASSERT_EQ(one.status, 0) << one.err;
  const auto two = probe(out2, 2, kCartPole, 4, iterations, {"exact"});
  ASSERT_EQ(two.status, 0) << two.err;
  for (int it = 1; it <= iterations; ++it) {
    const std::string k = "it" + std::to_string(it);
    const auto p1 = values(out1 / "rank0.safetensors", k + ".params"), p2 = values(out2 / "rank0.safetensors", k + ".params");
    ASSERT_EQ(p1.size(), p2.size());
    double worst = 0;
    for (size_t i = 0; i < p1.size(); ++i) worst = std::max(worst, std::abs(p1[i] - p2[i]) / (1e-3 + std::abs(p1[i])));
    EXPECT_LT(worst, 1e-4) << k << ": largest relative parameter difference";
    const auto s1 = values(out1 / "rank0.safetensors", k + ".stats"), s2 = values(out2 / "rank0.safetensors", k + ".stats");
    const char* names[] = {"policy loss", "value loss", "entropy", "approx KL", "reward per step"};
    for (int i = 0; i < 5; ++i) EXPECT_NEAR(s1[i], s2[i], 1e-4 * (1 + std::abs(s1[i]))) << k << " " << names[i];
  }
  mecrl::remove_tree(out1);
  mecrl::remove_tree(out2);
}

TEST(Distributed, KilledRankStopsTheOthersWithOneLine) {
  SKIP_WITHOUT_C10D();
  const fs::path out = testing::fresh_scratch_dir("dist_kill");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = probe(out, 2, kCartPole, 2, 20, {"die=2"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 128 + 9) << r.err;  // the launcher reports the killed rank's status
  EXPECT_LT(seconds, 60.0);
  EXPECT_NE(r.err.find("rank 1 of 2 was killed by signal 9 (Killed)"), std::string::npos) << r.err;
  // Rank 0 stopped by itself, with one line naming what failed.
  const auto at = r.err.find("mecrl_dist_probe: I/O error: rank 0 of 2: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string line = r.err.substr(at, r.err.find('\n', at) - at);
  EXPECT_NE(line.find("with the other ranks failed"), std::string::npos) << line;
  EXPECT_EQ(r.err.find("mecrl_dist_probe", at + 1), std::string::npos) << "more than one line: " << r.err;
  mecrl::remove_tree(out);
}

// Iterations 3-4 after a checkpoint at 2 and a resume equal iterations 3-4 of
// the uninterrupted run, bit for bit (each rank's envs, return normaliser
// and world-model replay travel in rank 0's checkpoint).
TEST(Distributed, TwoRankResumeEqualsUninterrupted) {
  SKIP_WITHOUT_C10D();
  const fs::path full = testing::fresh_scratch_dir("dist_full"), cut = testing::fresh_scratch_dir("dist_cut");
  const std::vector<std::string> flags = with_small_offload({"lag", "wm"});
  const auto a = probe(full, 2, kOffload, 2, 4, flags);
  ASSERT_EQ(a.status, 0) << a.err;
  auto first = flags;
  first.push_back("save=2");
  const auto b = probe(cut, 2, kOffload, 2, 4, first);
  ASSERT_EQ(b.status, 0) << b.err;
  ASSERT_TRUE(fs::exists(cut / "run" / "checkpoints" / "last" / "trainer.json"));
  auto second = flags;
  second.push_back("resume");
  const auto c = probe(cut, 2, kOffload, 2, 4, second);
  ASSERT_EQ(c.status, 0) << c.err;
  for (int r = 0; r < 2; ++r) {
    const fs::path name = "rank" + std::to_string(r) + ".safetensors";
    for (const char* it : {"it3.params", "it4.params"}) {
      EXPECT_EQ(values(cut / name, it), values(full / name, it)) << "rank " << r << " " << it;
    }
  }
  mecrl::remove_tree(full);
  mecrl::remove_tree(cut);
}

// A group of one rank, opened as training opens it (TCPStore on a port the
// kernel picks): every collective gives its closed form for world size 1
// (the sum and the maximum over one rank are its values, rank 0's broadcast
// is rank 0's values, the gather is a list of one), for the dtypes the
// trainer sends, with the result on the group's device.
void expect_one_rank_closed_form(const torch::Device& dev) {
  agents::DistEnv d;
  d.master_port = 0;
  d.launcher = "test";
  const auto g = agents::pg::open(d, 30, dev);
  ASSERT_EQ(agents::pg::device(*g), dev);
  EXPECT_EQ(agents::pg::backend(*g), agents::pg::backend_for(dev));
  const std::vector<double> xs = {1.5, -2.25, 1e300, -0.0, 7.0};
  for (const auto dtype : {torch::kFloat32, torch::kFloat64, torch::kInt64}) {
    const auto host = torch::tensor(xs, torch::kFloat64).to(dtype);
    for (const auto op : {agents::pg::Op::Sum, agents::pg::Op::Max}) {
      auto t = host.to(dev);
      agents::pg::all_reduce(*g, t, op);
      EXPECT_EQ(t.device(), dev);
      EXPECT_TRUE(torch::equal(t.cpu(), host)) << dtype << (op == agents::pg::Op::Sum ? " sum" : " max");
    }
    auto b = host.to(dev);
    agents::pg::broadcast(*g, b, 0);
    EXPECT_TRUE(torch::equal(b.cpu(), host)) << dtype << " broadcast";
    const auto all = agents::pg::all_gather(*g, host.to(dev));
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].device(), dev);
    EXPECT_TRUE(torch::equal(all[0].cpu(), host)) << dtype << " all-gather";
  }
  auto bytes = torch::arange(256, torch::kInt64).to(torch::kUInt8).to(dev);
  agents::pg::broadcast(*g, bytes, 0);
  EXPECT_TRUE(torch::equal(bytes.cpu(), torch::arange(256, torch::kInt64).to(torch::kUInt8)));
}

TEST(Distributed, OneRankGlooGroupGivesClosedForms) {
  SKIP_WITHOUT(Backend::Gloo);
  expect_one_rank_closed_form(torch::Device(torch::kCPU));
}

TEST(DistributedCuda, OneRankNcclGroupGivesClosedForms) {
  SKIP_WITHOUT_GPUS(1);
  expect_one_rank_closed_form(torch::Device(torch::kCUDA, 0));
}

// 2 ranks, one GPU each, over NCCL: the same weights on both after every
// update (the learners on the GPU, the merged statistics through NCCL).
TEST(DistributedCuda, TwoGpuRanksAgreeOverNccl) {
  SKIP_WITHOUT_GPUS(2);
  const fs::path out = testing::fresh_scratch_dir("dist_agree_nccl");
  const auto r = probe(out, 2, kOffload, 64, 3, with_small_offload({"lag", "wm", "cuda"}));
  ASSERT_EQ(r.status, 0) << r.err;
  expect_ranks_agree(out, 2, 3);
  expect_moved(out, 3);
  mecrl::remove_tree(out);
}

// The command line: `mecrl train --nproc 2` writes one run directory (rank 0),
// counts every rank's steps, and resumes only with the same world size.
TEST(Distributed, CliTrainNproc) {
  SKIP_WITHOUT_C10D();
  const fs::path runs = testing::fresh_scratch_dir("dist_cli");
  const std::vector<std::string> train = {MECRL_BINARY, "train", "--config", MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml",
                                          "train.total_steps=3072", "train.num_envs=2", "train.checkpoint_every=1",
                                          "train.runs_dir=" + runs.string(), "train.name=dp", "threads=1"};
  auto first_args = train;
  first_args.insert(first_args.begin() + 2, {"--nproc", "2"});
  first_args.push_back("train.time_limit_s=0.001");
  const auto first = testing::run_command(first_args);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.out.find("2 ranks (torchrun), 2 envs each"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("time limit of 0.001 s reached after iteration 1/6"), std::string::npos) << first.out;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(runs)) dirs.push_back(e.path());
  ASSERT_EQ(dirs.size(), 1u);
  const auto tj = nlohmann::json::parse(testing::slurp(dirs[0] / "checkpoints" / "last" / "trainer.json"));
  EXPECT_EQ(tj.value("world_size", 0), 2);
  EXPECT_EQ(tj.value("global_step", 0), 512);  // 2 ranks x 2 envs x 128 steps

  auto one_rank = train;
  one_rank.push_back("resume=" + dirs[0].string());
  const auto refused = testing::run_command(one_rank);
  EXPECT_EQ(refused.status, 2) << refused.err;
  EXPECT_NE(refused.err.find("checkpoint is from 2 ranks, this run has 1"), std::string::npos) << refused.err;

  auto again = train;
  again.insert(again.begin() + 2, {"--nproc", "2"});
  again.push_back("resume=" + dirs[0].string());
  const auto resumed = testing::run_command(again);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("iter    6/6"), std::string::npos) << resumed.out;
  mecrl::remove_tree(runs);
}

// Ctrl-C on `mecrl train --nproc 2`: the launcher passes it to both ranks,
// they stop after the same iteration (rank 0 decides), rank 0 writes the
// checkpoint, the launcher exits 130, and `--nproc 2 resume=` goes on.
TEST(Distributed, CliNprocCtrlCStopsEveryRankWithACheckpoint) {
  SKIP_WITHOUT_C10D();
  const fs::path runs = testing::fresh_scratch_dir("dist_cli_sigint");
  const std::vector<std::string> train = {MECRL_BINARY, "train", "--nproc", "2", "--config",
                                          MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml", "train.total_steps=25600",
                                          "train.num_envs=2", "train.checkpoint_every=1000",  // 50 iterations
                                          "train.runs_dir=" + runs.string(), "train.name=dp", "threads=1"};
  const auto first = testing::run_command_signalled_at(train, "iter    2/50", SIGINT);
  ASSERT_EQ(first.status, 130) << first.out << first.err;
  const std::string head = "stopped by SIGINT after iteration ";
  const auto at = first.out.find(head);
  ASSERT_NE(at, std::string::npos) << first.out;
  const int k = std::stoi(first.out.substr(at + head.size()));
  ASSERT_GE(k, 2);
  ASSERT_LT(k, 50);
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(runs)) dirs.push_back(e.path());
  ASSERT_EQ(dirs.size(), 1u);
  const auto tj = nlohmann::json::parse(testing::slurp(dirs[0] / "checkpoints" / "last" / "trainer.json"));
  EXPECT_EQ(tj.value("global_step", 0), k * 512);  // 2 ranks x 2 envs x 128 steps per iteration

  auto again = train;
  again.push_back("resume=" + dirs[0].string());
  const auto resumed = testing::run_command(again);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.out.find(fmt::format("iter {:>4}/50", k + 1)), std::string::npos) << resumed.out;
  EXPECT_EQ(resumed.out.find(fmt::format("iter {:>4}/50", k)), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("iter   50/50"), std::string::npos) << resumed.out;
  mecrl::remove_tree(runs);
}

// Without c10d Gloo (the pip LibTorch): a launched CPU rank stops at once
// with one line saying why, exit 2; `--nproc` says it once, before starting
// any rank.
TEST(Distributed, WithoutGlooCpuRanksAreAUsageError) {
  if (agents::pg::available(Backend::Gloo)) GTEST_SKIP() << "this build has c10d Gloo";
  const auto r = testing::run_command({"/usr/bin/env", "WORLD_SIZE=2", "RANK=0", MECRL_BINARY, "train", "--config",
                                       MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml", "train.device=cpu",
                                       "train.runs_dir=/nonexistent"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("on the CPU needs torch.distributed's gloo backend, which this build lacks"), std::string::npos)
      << r.err;
  const auto n = testing::run_command({MECRL_BINARY, "train", "--nproc", "2", "--config",
                                       MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml", "train.device=cpu",
                                       "train.runs_dir=/nonexistent"});
  EXPECT_EQ(n.status, 2) << n.err;
  EXPECT_NE(n.err.find("--nproc 2: CPU ranks need torch.distributed's gloo backend"), std::string::npos) << n.err;
  EXPECT_EQ(n.err.find('\n'), n.err.size() - 1) << "one line: " << n.err;
}

// A usage error of rank 0 (here: resume= names no run) is printed once:
// rank 0 says it, the other ranks and the launcher stay quiet; exit 2.
TEST(Distributed, CliRankZeroUsageErrorPrintedOnce) {
  SKIP_WITHOUT_C10D();
  const fs::path runs = testing::fresh_scratch_dir("dist_cli_once");
  const auto r = testing::run_command({MECRL_BINARY, "train", "--nproc", "3", "--config",
                                       MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml", "train.device=cpu", "threads=1",
                                       "train.runs_dir=" + runs.string(), "resume=" + (runs / "missing").string()});
  EXPECT_EQ(r.status, 2) << r.err;
  const std::string line = "is not a run directory";
  const auto at = r.err.find(line);
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(line, at + 1), std::string::npos) << "printed more than once:\n" << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line:\n" << r.err;
  mecrl::remove_tree(runs);
}

// With train.device=cuda, --nproc asks for one GPU per rank before starting any.
TEST(Distributed, CliNprocAboveTheGpuCountIsAUsageError) {
  SKIP_WITHOUT(Backend::Nccl);
  const auto r = testing::run_command({MECRL_BINARY, "train", "--nproc", std::to_string(torch::cuda::device_count() + 1),
                                       "--config", MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml", "train.device=cuda",
                                       "train.runs_dir=/nonexistent"});
  EXPECT_EQ(r.status, 2) << r.err;
  const bool no_gpu = r.err.find("no CUDA device is visible") != std::string::npos;
  EXPECT_TRUE(no_gpu || r.err.find("NCCL runs one rank per GPU") != std::string::npos) << r.err;
}

}  // namespace
}  // namespace mecrl
