// The progress line of eval, sweep and bench as a person sees it: each
// command run on a pseudo-terminal (forkpty) draws "... /s | eta ...", and
// draws nothing with --json / JSON benchmark output or without a terminal.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "run_command.h"

namespace mecrl {
namespace {

struct TtyResult {
  int status = -1;
  std::string text;  // stdout and stderr as the terminal received them
};

TtyResult run_on_terminal(const std::vector<std::string>& args) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  winsize ws{};
  ws.ws_col = 200;
  ws.ws_row = 50;
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  TtyResult r;
  if (pid < 0) return r;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(master, buf, sizeof buf);
    if (n > 0) {
      r.text.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO: the child closed the terminal
    }
  }
  int st = 0;
  waitpid(pid, &st, 0);
  close(master);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

const std::string kOffload = MECRL_SOURCE_DIR "/configs/offload.yaml";
const std::string kUncertainty = MECRL_SOURCE_DIR "/configs/uncertainty.yaml";

std::vector<std::string> eval_args(bool json) {
  std::vector<std::string> a = {MECRL_BINARY, "eval", "--config", kOffload, "--policy", "greedy", "--episodes", "2",
                                "env.num_users=10", "eval.slots=300", "eval.warmup_slots=10", "threads=1"};
  if (json) a.push_back("--json");
  return a;
}

TEST(ProgressTerminal, EvalDrawsRateAndEta) {
  const TtyResult r = run_on_terminal(eval_args(false));
  ASSERT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.text.find("\reval greedy "), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("cell-slots/s | eta "), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("/600 cell-slots"), std::string::npos) << r.text;  // 2 episodes x 300 slots
  // Erased before the table: the table starts on a clean line.
  EXPECT_NE(r.text.find("\r\033[Koffload | policy greedy"), std::string::npos) << r.text;
}

TEST(ProgressTerminal, QuietWithJsonOrWithoutTerminal) {
  const TtyResult j = run_on_terminal(eval_args(true));
  ASSERT_EQ(j.status, 0) << j.text;
  EXPECT_EQ(j.text.find("eta"), std::string::npos) << j.text;
  EXPECT_EQ(j.text.find('\r'), j.text.find("\r\n")) << "only the terminal's own line ends";
  const auto piped = testing::run_command(eval_args(false));
  ASSERT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.err, "");
  EXPECT_EQ(piped.out.find("eta"), std::string::npos);
}

TEST(ProgressTerminal, SweepCountsPoints) {
  const TtyResult r = run_on_terminal({MECRL_BINARY, "sweep", "--config", kUncertainty, "--policies", "goa,local",
                                       "--set", "env.num_users=10,20", "--episodes", "4", "threads=1", "--out",
                                       ::testing::TempDir() + "/progress_sweep.csv"});
  ASSERT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.text.find("\rsweep 0/4 points"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("points/s | eta "), std::string::npos) << r.text;
  // Each finished point stays above the line.
  EXPECT_NE(r.text.find("\r\033[K[4/4] env.num_users=20 policy=local"), std::string::npos) << r.text;
}

TEST(ProgressTerminal, BenchCountsBenchmarks) {
  const std::vector<std::string> args = {MECRL_BENCH_BINARY, "--benchmark_filter=BM_UncertaintyStepCpu/envs:64/",
                                         "--benchmark_min_time=0.01"};
  const TtyResult r = run_on_terminal(args);
  ASSERT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.text.find("\rbench mecrl_bench 0/2 benchmarks"), std::string::npos) << r.text;  // N 50 and 120
  EXPECT_NE(r.text.find("benchmarks/s | eta "), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("BM_UncertaintyStepCpu/envs:64/N:120"), std::string::npos) << r.text;
  std::vector<std::string> json = args;
  json.push_back("--benchmark_format=json");
  const TtyResult j = run_on_terminal(json);
  ASSERT_EQ(j.status, 0) << j.text;
  EXPECT_EQ(j.text.find("eta"), std::string::npos) << j.text;
}

}  // namespace
}  // namespace mecrl
