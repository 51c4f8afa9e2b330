// GPU training smoke test (issue 4): PPO-Lagrangian and world-model PPO on
// the CUDA backend for a short budget — losses go down and nothing is NaN.
// Skips cleanly without a GPU (CI has none).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "agents/trainer.h"
#include "core/config.h"
#include "cuda/backend.h"
#include "envs/offload/params_config.h"
#include "envs/population_env.h"
#include "temp_dir.h"
#include "core/remove_tree.h"

namespace mecrl::agents {
namespace {

double mean_of(const std::vector<IterationStats>& h, size_t from, size_t to, double IterationStats::*field) {
  double s = 0;
  for (size_t k = from; k < to; ++k) s += h[k].*field;
  return s / static_cast<double>(to - from);
}

// `iterations` iterations of `t`: every loss and multiplier finite, the value
// loss of the last quarter below the first quarter's, every parameter finite.
void expect_finite_and_learning(Trainer& t, size_t iterations) {
  const auto& h = t.history();
  ASSERT_EQ(h.size(), iterations);
  for (const auto& st : h) {
    EXPECT_TRUE(std::isfinite(st.value_loss) && std::isfinite(st.policy_loss) && std::isfinite(st.entropy));
    for (double l : st.lambda) EXPECT_TRUE(std::isfinite(l));
  }
  const size_t q = iterations / 4;
  EXPECT_LT(mean_of(h, iterations - q, iterations, &IterationStats::value_loss),
            mean_of(h, 0, q, &IterationStats::value_loss));
  for (const auto& p : t.policy()->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
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
  expect_finite_and_learning(t, 20);
  if (::testing::Test::HasFatalFailure()) return;
  const auto& h = t.history();
  if (world_model) {
    double first = h[2].wm.loss, last = h[19].wm.loss;
    EXPECT_TRUE(std::isfinite(first) && std::isfinite(last));
    EXPECT_LT(last, first);
    EXPECT_GT(h[19].wm.gate_open, 0.0);
  }
}

TEST(GpuTraining, PpoLagrangianSmoke) { smoke(false); }

// The GPU twin of Trainer.CheckpointEveryIterationThenResumeEqualsUninterrupted:
// a checkpoint after every iteration (the pip LibTorch used to crash at the
// second), then a resume. The save/load round trip must be exact on the GPU
// too. The continued runs are not compared: atomics in the backward pass make
// GPU training not bit-reproducible, and one flipped sample lets them drift.
TEST(GpuTraining, CheckpointEveryIterationThenResume) {
  if (cuda::device_count() == 0 || !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device for LibTorch";
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.set("env.num_users", "50", "test");
  ConfigReader r(cfg);
  const auto params = offload::read_offload_params(r);
  AgentConfig c;
  c.train.num_envs = 128;
  c.train.rollout_steps = 32;
  c.train.total_steps = 128ll * 32 * 6;
  c.train.checkpoint_every = 1;
  c.lag.mode = "lagrangian";
  c.lag.lambda_init = {0.1f, 0.1f, 0.1f};
  c.lag.limits = {0.f, 0.f, 0.f};
  c.ppo.norm_obs = c.ppo.norm_reward = true;
  const std::filesystem::path dir = testing::fresh_scratch_dir("gpu_every");
  auto e1 = cuda::make_offload_env(params, 128);
  Trainer first(*e1, c, dir.string());
  first.train(4);
  std::vector<torch::Tensor> saved;
  for (const auto& p : first.policy()->parameters()) saved.push_back(p.detach().clone());
  auto e2 = cuda::make_offload_env(params, 128);
  Trainer second(*e2, c, dir.string());
  second.resume();
  ASSERT_EQ(second.iteration(), 4);
  const auto loaded = second.policy()->parameters();
  ASSERT_EQ(loaded.size(), saved.size());
  for (size_t k = 0; k < saved.size(); ++k) EXPECT_TRUE(torch::equal(saved[k], loaded[k])) << "parameter " << k;
  EXPECT_EQ(e1->save_state(), e2->save_state());
  second.train(2);
  EXPECT_EQ(second.iteration(), 6);
  for (const auto& p : second.policy()->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
  mecrl::remove_tree(dir);
}
TEST(GpuTraining, WorldModelPpoSmoke) { smoke(true); }

// One policy for several populations on the GPU (train.num_users): CUDA
// groups of N = 20 and 50, gathered on the device into one padded batch
// (their byte identity with the CPU batch: tests/cuda/test_population_cuda.cpp).
// One multiplier row per group, everything finite, the value loss falls.
TEST(GpuTraining, PopulationBatchOnTheDevice) {
  if (cuda::device_count() == 0 || !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device for LibTorch";
  std::vector<std::unique_ptr<VecEnv>> groups;
  uint32_t first = 0;
  for (int users : {20, 50}) {
    Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
    cfg.set("env.num_users", std::to_string(users), "test");
    ConfigReader r(cfg);
    auto p = offload::read_offload_params(r);
    p.first_env = first;
    groups.push_back(cuda::make_offload_env(p, 64));
    first += 64;
  }
  PopulationEnv env(std::move(groups), cuda::device_ops());
  ASSERT_EQ(env.device(), Device::Cuda);
  AgentConfig c;
  c.train.num_envs = 128;
  c.train.num_users = {20, 50};
  c.train.rollout_steps = 64;
  c.train.total_steps = 128ll * 64 * 12;
  c.ppo.critic = "user";
  c.ppo.reward = "mix";
  c.ppo.norm_reward = true;
  c.lag.mode = "lagrangian";
  c.lag.lambda_init = {0.5f, 0.5f, 0.5f};
  c.lag.limits = {0.f, 0.f, 0.f};
  Trainer t(env, c, "");
  t.train(12);
  expect_finite_and_learning(t, 12);
  const torch::Tensor lambda = t.lagrange()->lambda;
  ASSERT_EQ(lambda.dim(), 2);
  EXPECT_EQ(lambda.size(0), 2) << "one multiplier row per population group";
}

}  // namespace
}  // namespace mecrl::agents
