// CartPole against gymnasium's CartPole-v1 itself: the same initial state and
// actions give the same observations (to 1e-5), rewards and termination /
// truncation flags, step by step (reference: tests/python/gym_cartpole_reference.py).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "envs/cartpole/cartpole.h"
#include "envs/cpu_exec.h"
#include "envs/scenario_env.h"
#include "run_command.h"

namespace mecrl::cartpole {
namespace {

TEST(CartPole, MatchesGymnasiumStepByStep) {
  if (!std::filesystem::exists(MECRL_PYTHON)) GTEST_SKIP() << "no " << MECRL_PYTHON << " (run ./mecrl test)";
  const auto r = testing::run_command({MECRL_PYTHON, MECRL_SOURCE_DIR "/tests/python/gym_cartpole_reference.py"});
  if (r.status == 77) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  const auto ref = nlohmann::json::parse(r.out);
  int truncations = 0, terminations = 0;
  for (const auto& c : ref["cases"]) {
    ScenarioEnv<CartPoleScenario, CpuExec> env(CartPoleParams{}, 1, CpuExec{1});
    const CartPoleState& s = env.state();
    s.x[0] = c["state"][0];
    s.x_dot[0] = c["state"][1];
    s.theta[0] = c["state"][2];
    s.theta_dot[0] = c["state"][3];
    const StepBuffers& b = env.buffers();
    int t = 0;
    for (const auto& st : c["steps"]) {
      const int32_t a = st["action"];
      env.step(&a);
      const bool term = st["terminated"], trunc = st["truncated"];
      const float* obs = (term || trunc) ? b.final_obs : b.obs;
      for (int k = 0; k < 4; ++k) {
        ASSERT_NEAR(obs[k], st["obs"][k].get<double>(), 1e-5) << c["policy"] << " seed " << c["seed"] << " t " << t;
      }
      ASSERT_EQ(b.reward[0], st["reward"].get<double>());
      ASSERT_EQ(b.terminated[0], term ? 1 : 0) << "t " << t;
      ASSERT_EQ(b.truncated[0], trunc ? 1 : 0) << "t " << t;
      ++t;
    }
    terminations += c["steps"].back()["terminated"].get<bool>();
    truncations += c["steps"].back()["truncated"].get<bool>();
  }
  EXPECT_GT(terminations, 10);
  EXPECT_GE(truncations, 1) << "the balancing controller should reach the 500-step limit";
}

}  // namespace
}  // namespace mecrl::cartpole
