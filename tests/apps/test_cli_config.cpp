// `mecrl config` lists every key a config may hold, the learner's included,
// for every scenario (issue 13): the keys below are CleanRL's PPO arguments
// and the README's training keys, written out by hand, and each line carries
// a range and a doc string.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "run_command.h"

namespace mecrl {
namespace {

TEST(CliConfig, ListsTheLearnerKeysForEveryScenario) {
  const char* keys[] = {"ppo.lr",          "ppo.gamma",          "ppo.gae_lambda",   "ppo.clip_coef",
                        "ppo.ent_coef",    "ppo.vf_coef",        "ppo.max_grad_norm", "ppo.update_epochs",
                        "ppo.num_minibatches", "lagrangian.lr",  "lagrangian.lambda_init", "wm.enabled",
                        "wm.horizon",      "train.num_envs",     "train.rollout_steps", "train.total_steps",
                        "train.device",    "train.checkpoint_every", "eval.deterministic"};
  for (const std::string scenario : {"offload", "uncertainty", "cartpole"}) {
    const auto r =
        testing::run_command({MECRL_BINARY, "config", "--config", MECRL_SOURCE_DIR "/configs/" + scenario + ".yaml"});
    ASSERT_EQ(r.status, 0) << scenario << ": " << r.err;
    for (const char* key : keys) {
      std::istringstream lines(r.out);
      std::string line, found;
      while (std::getline(lines, line)) {
        if (line.rfind(std::string(key) + " ", 0) == 0) found = line;
      }
      ASSERT_FALSE(found.empty()) << scenario << ": no line for " << key;
      EXPECT_NE(found.find("[default]"), std::string::npos) << scenario << ": " << found;
    }
  }
}

// Every preset shipped in configs/ (not the tables it layers in) passes the
// validation `mecrl config` runs: each key known, each value in its range. The
// GPU presets (train.device: cuda) are otherwise only loaded on a GPU machine.
TEST(CliConfig, EveryShippedPresetValidates) {
  int presets = 0;
  for (const auto& e : std::filesystem::directory_iterator(MECRL_SOURCE_DIR "/configs")) {
    if (e.path().extension() != ".yaml") continue;
    ++presets;
    const auto r = testing::run_command({MECRL_BINARY, "config", "--config", e.path().string()});
    EXPECT_EQ(r.status, 0) << e.path() << ": " << r.err;
  }
  EXPECT_GE(presets, 11);  // configs/*.yaml as of issue 16: offload*, uncertainty*, cartpole*, ppo
}

// eval.device=cuda (or train.device=cuda) where there is no GPU: one line
// naming where the setting came from, exit 2. (With a GPU it just runs.)
TEST(CliDevice, CudaWithoutAGpuNamesTheSettingAndItsOrigin) {
  const auto r = testing::run_command({MECRL_BINARY, "eval", "--config", MECRL_SOURCE_DIR "/configs/offload.yaml",
                                       "--policy", "greedy", "--episodes", "2", "eval.slots=20",
                                       "eval.warmup_slots=0", "eval.device=cuda"});
  if (r.status == 0) GTEST_SKIP() << "a GPU is present: eval ran on it";
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.err.rfind("mecrl: error: command line 'eval.device=cuda': eval.device = cuda but ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
}

}  // namespace
}  // namespace mecrl
