// `mecrl config` lists every key a config may hold, the learner's included,
// for every scenario (issue 13): the keys below are CleanRL's PPO arguments
// and the README's training keys, written out by hand, and each line carries
// a range and a doc string.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mecrl
