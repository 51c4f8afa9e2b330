// The command line a new user types, end to end on the CPU: train with a
// checkpoint after every iteration, evaluate the checkpoint, resume the run.
// Built and run against both LibTorch builds (Debian's and the pip wheel's,
// scripts/test-torch-pip.sh); with the wheel, the second checkpoint used to
// kill the process (cmake/Torch.cmake).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <csignal>
#include <filesystem>

#include "run_command.h"
#include "temp_dir.h"
#include "core/remove_tree.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

TEST(CliTrain, CheckpointEveryIterationTimeLimitResumeAndEval) {
  const fs::path runs = testing::fresh_scratch_dir("cli_train");
  // 5 iterations of 4 envs x 128 steps; the first invocation stops after its
  // first iteration (time limit), the resumed one does the other 4, each
  // followed by a checkpoint that replaces the previous one.
  const std::vector<std::string> train = {MECRL_BINARY, "train", "--config", MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml",
                                          "train.total_steps=2560", "train.checkpoint_every=1",
                                          "train.runs_dir=" + runs.string(), "train.name=smoke", "threads=1"};
  auto first_args = train;
  first_args.push_back("train.time_limit_s=0.001");
  const auto first = testing::run_command(first_args);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.out.find("time limit of 0.001 s reached after iteration 1/5"), std::string::npos) << first.out;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(runs)) dirs.push_back(e.path());
  ASSERT_EQ(dirs.size(), 1u);
  const fs::path run = dirs[0];
  const fs::path last = run / "checkpoints" / "last";
  ASSERT_TRUE(fs::exists(last / "trainer.json"));

  auto again = train;
  again.push_back("resume=" + run.string());
  const auto resumed = testing::run_command(again);
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("(resuming)"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("iter    5/5"), std::string::npos) << resumed.out;
  EXPECT_EQ(resumed.out.find("iter    1/5"), std::string::npos) << resumed.out;
  std::vector<std::string> in_checkpoints;
  for (const auto& e : fs::directory_iterator(run / "checkpoints")) in_checkpoints.push_back(e.path().filename());
  EXPECT_EQ(in_checkpoints, std::vector<std::string>{"last"});

  const auto ev = testing::run_command({MECRL_BINARY, "eval", "--config", MECRL_SOURCE_DIR "/configs/cartpole.yaml",
                                        "--policy", last.string(), "--episodes", "4", "--json"});
  ASSERT_EQ(ev.status, 0) << ev.err;
  EXPECT_EQ(ev.out.front(), '{') << ev.out;
  mecrl::remove_tree(runs);
}

// Ctrl-C (SIGINT) and a scheduler's SIGTERM stop the run after the iteration in
// progress with a checkpoint, exit 128 + signal, and the run resumes from that
// iteration; nothing of the finished iterations is lost.
TEST(CliTrain, SignalsStopWithACheckpointAndTheRunResumes) {
  const fs::path runs = testing::fresh_scratch_dir("cli_train_signals");
  const std::vector<std::string> train = {MECRL_BINARY, "train", "--config", MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml",
                                          "train.total_steps=51200", "train.checkpoint_every=1000",  // 100 iterations
                                          "train.runs_dir=" + runs.string(), "train.name=signals", "threads=1"};
  // The iteration a run stopped at, from "stopped by SIG... after iteration k/100".
  auto stopped_at = [](const std::string& out, const std::string& sig) {
    const std::string head = "stopped by " + sig + " after iteration ";
    const auto at = out.find(head);
    return at == std::string::npos ? -1 : std::stoi(out.substr(at + head.size()));
  };
  auto iter_line = [](int k) { return fmt::format("iter {:>4}/100", k); };

  const auto first = testing::run_command_signalled_at(train, iter_line(2), SIGINT);
  ASSERT_EQ(first.status, 130) << first.out << first.err;
  const int k1 = stopped_at(first.out, "SIGINT");
  ASSERT_GE(k1, 2) << first.out;
  ASSERT_LT(k1, 100) << first.out;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(runs)) dirs.push_back(e.path());
  ASSERT_EQ(dirs.size(), 1u);
  const fs::path run = dirs[0];
  EXPECT_NE(first.out.find("checkpoint written, continue with resume=" + run.string()), std::string::npos) << first.out;
  EXPECT_EQ(first.out.find("done:"), std::string::npos) << first.out;
  ASSERT_TRUE(fs::exists(run / "checkpoints" / "last" / "trainer.json"));

  auto again = train;
  again.push_back("resume=" + run.string());
  const auto second = testing::run_command_signalled_at(again, iter_line(k1 + 1), SIGTERM);
  ASSERT_EQ(second.status, 143) << second.out << second.err;
  EXPECT_NE(second.out.find("(resuming)"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find(iter_line(k1)), std::string::npos) << second.out;  // continued after k1
  const int k2 = stopped_at(second.out, "SIGTERM");
  ASSERT_GT(k2, k1) << second.out;
  ASSERT_LT(k2, 100) << second.out;

  const auto third = testing::run_command(again);
  ASSERT_EQ(third.status, 0) << third.err;
  EXPECT_NE(third.out.find(iter_line(k2 + 1)), std::string::npos) << third.out;
  EXPECT_EQ(third.out.find(iter_line(k2)), std::string::npos) << third.out;
  EXPECT_NE(third.out.find(iter_line(100)), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("done: " + run.string()), std::string::npos) << third.out;
  mecrl::remove_tree(runs);
}

// train.exploration_floor is a probability in [0, 1): 1 (or what single
// precision rounds up to 1) and negatives stop with the key, value and range.
TEST(CliTrain, ExplorationFloorOutsideItsRange) {
  const std::string doc_final =
      "exploration floor in [0, 1) at the end of training, reached linearly over the iterations (default: "
      "train.exploration_floor, a constant floor)";
  const struct {
    std::string arg, expected;
  } cases[] = {
      {"train.exploration_floor=1", "command line 'train.exploration_floor=1': train.exploration_floor = '1' is "
                                    "outside [0, 1) (exploration floor eps in [0, 1): "},
      {"train.exploration_floor=-0.1", "command line 'train.exploration_floor=-0.1': train.exploration_floor = "
                                       "'-0.1' is outside [0, 1] (exploration floor eps in [0, 1): "},
      {"train.exploration_floor_final=0.999999999", "command line 'train.exploration_floor_final=0.999999999': "
                                                    "train.exploration_floor_final = '0.999999999' is outside [0, 1) (" +
                                                        doc_final + ")\n"},
  };
  for (const auto& c : cases) {
    const auto r = testing::run_command({MECRL_BINARY, "train", "--config", MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml",
                                         "train.runs_dir=/nonexistent/never", c.arg});
    EXPECT_EQ(r.status, 2) << c.arg;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("mecrl: error: " + c.expected, 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace mecrl
