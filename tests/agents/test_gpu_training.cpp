// GPU training smoke test (issue 4): PPO-Lagrangian and world-model PPO on
// the CUDA backend for a short budget — losses go down and nothing is NaN.
// Skips cleanly without a GPU (CI has none).
#include <gtest/gtest.h>

#include <cmath>

#include "agents/trainer.h"
#include "core/config.h"
#include "cuda/backend.h"
#include "envs/offload/params_config.h"

namespace mecrl::agents {
namespace {

double mean_of(const std::vector<IterationStats>& h, size_t from, size_t to, double IterationStats::*field) {
  double s = 0;
  for (size_t k = from; k < to; ++k) s += h[k].*field;
  return s / static_cast<double>(to - from);
}

void smoke(bool world_model) {
  if (cuda::device_count() == 0 || !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device for LibTorch";
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.set("env.num_users", "50", "test");
  ConfigReader r(cfg);
  auto env = cuda::make_offload_env(offload::read_offload_params(r), 256);
  AgentConfig c;
  c.train.num_envs = 256;
  c.train.rollout_steps = 64;
  c.train.total_steps = 256ll * 64 * 20;
  c.ppo.reward = "mix";
  c.ppo.norm_reward = true;
  c.lag.mode = "lagrangian";
  c.lag.lambda_init = {0.5f, 0.5f, 0.5f};
  c.lag.limits = {0.f, 0.f, 0.f};
  c.wm.enabled = world_model;
  c.wm.hidden = 64;
  c.wm.warmup_iterations = 2;
  c.wm.gate_threshold = 1e6f;
  Trainer t(*env, c, "");
  t.train(20);
  const auto& h = t.history();
  ASSERT_EQ(h.size(), 20u);
  for (const auto& st : h) {
    EXPECT_TRUE(std::isfinite(st.value_loss) && std::isfinite(st.policy_loss) && std::isfinite(st.entropy));
    for (double l : st.lambda) EXPECT_TRUE(std::isfinite(l));
  }
  EXPECT_LT(mean_of(h, 15, 20, &IterationStats::value_loss), mean_of(h, 0, 5, &IterationStats::value_loss));
  if (world_model) {
    double first = h[2].wm.loss, last = h[19].wm.loss;
    EXPECT_TRUE(std::isfinite(first) && std::isfinite(last));
    EXPECT_LT(last, first);
    EXPECT_GT(h[19].wm.gate_open, 0.0);
  }
  for (const auto& p : t.policy()->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
}

TEST(GpuTraining, PpoLagrangianSmoke) { smoke(false); }
TEST(GpuTraining, WorldModelPpoSmoke) { smoke(true); }

}  // namespace
}  // namespace mecrl::agents
