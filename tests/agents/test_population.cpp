// One policy for every population (train.num_users): the padded batch of
// envs/population_env.h against the separate envs it is made of (brute
// force, every buffer, every step), and the command line end to end: train
// on two populations, resume, evaluate the checkpoint at other N.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "agents/iteration_metrics.h"
#include "agents/trainer.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/config.h"
#include "envs/cpu_exec.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/population_env.h"
#include "envs/scenario_env.h"
#include "run_command.h"
#include "temp_dir.h"
#include "trainer_configs.h"
#include "core/remove_tree.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;
using OffEnv = ScenarioEnv<offload::OffloadScenario, CpuExec>;

offload::OffloadParams params(int users, uint32_t first_env) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.override_with({"env.num_users=" + std::to_string(users), "env.episode_slots=40", "env.num_servers=2"});
  ConfigReader r(cfg);
  auto p = offload::read_offload_params(r);
  p.first_env = first_env;
  return p;
}

TEST(Population, LayoutSplitsEnvsEvenly) {
  EXPECT_EQ(population_group_sizes(3, 7), (std::vector<int>{3, 2, 2}));
  EXPECT_EQ(population_group_sizes(2, 2), (std::vector<int>{1, 1}));
  const auto present = population_present({2, 3}, 3);  // envs: N=2, N=2, N=3; U = 3
  EXPECT_EQ(present, (std::vector<uint8_t>{1, 1, 0, 1, 1, 0, 1, 1, 1}));
}

// Groups (N = 3, 2 envs) and (N = 5, 1 env) against the same envs stepped
// separately with the same random allowed actions: every per-user row is the
// separate env's, the padding rows stay zero and never decide, every cell
// value is the separate env's; episodes end inside the 120 steps.
TEST(Population, PaddedBatchEqualsTheSeparateEnvs) {
  std::vector<std::unique_ptr<VecEnv>> groups;
  groups.push_back(std::make_unique<OffEnv>(params(3, 0), 2, CpuExec{1}));
  groups.push_back(std::make_unique<OffEnv>(params(5, 2), 1, CpuExec{1}));
  PopulationEnv mix(std::move(groups));
  OffEnv a(params(3, 0), 2, CpuExec{1}), b(params(5, 2), 1, CpuExec{1});
  const EnvDims& d = mix.dims();
  ASSERT_EQ(d.num_envs, 3);
  ASSERT_EQ(d.users, 5);
  const int F = d.features, A = d.actions, C = d.costs, I = d.info;
  std::mt19937 rng(4);
  std::vector<uint8_t> saved;
  std::vector<std::vector<float>> obs_after_save;
  int episodes = 0;
  for (int step = 0; step < 120; ++step) {
    const StepBuffers& m = mix.buffers();
    struct Part {
      OffEnv* env;
      int e0, n;
    } parts[] = {{&a, 0, 3}, {&b, 2, 5}};
    for (const Part& part : parts) {
      const StepBuffers& s = part.env->buffers();
      for (int e = 0; e < part.env->dims().num_envs; ++e) {
        const int me = part.e0 + e;
        for (int u = 0; u < d.users; ++u) {
          const size_t row = static_cast<size_t>(me) * d.users + u;
          if (u >= part.n) {  // padding
            for (int f = 0; f < F; ++f) ASSERT_EQ(m.obs[row * F + f], 0.f);
            ASSERT_EQ(m.active[row], 0);
            ASSERT_EQ(m.reward_user[row], 0.f);
            for (int c = 0; c < C; ++c) ASSERT_EQ(m.costs_user[row * C + c], 0.f);
            continue;
          }
          const size_t src = static_cast<size_t>(e) * part.n + u;
          ASSERT_EQ(std::memcmp(m.obs + row * F, s.obs + src * F, F * sizeof(float)), 0) << step << " " << me << " " << u;
          ASSERT_EQ(std::memcmp(m.final_obs + row * F, s.final_obs + src * F, F * sizeof(float)), 0);
          ASSERT_EQ(m.active[row], s.active[src]);
          ASSERT_EQ(std::memcmp(m.action_mask + row * A, s.action_mask + src * A, A), 0);
          ASSERT_EQ(m.reward_user[row], s.reward_user[src]);
          ASSERT_EQ(std::memcmp(m.costs_user + row * C, s.costs_user + src * C, C * sizeof(float)), 0);
        }
        ASSERT_EQ(m.reward[me], s.reward[e]) << step;
        ASSERT_EQ(std::memcmp(m.costs + me * C, s.costs + e * C, C * sizeof(float)), 0);
        ASSERT_EQ(m.terminated[me], s.terminated[e]);
        ASSERT_EQ(m.truncated[me], s.truncated[e]);
        ASSERT_EQ(m.decisions[me], s.decisions[e]);
        ASSERT_EQ(m.ep_return[me], s.ep_return[e]);
        ASSERT_EQ(m.ep_length[me], s.ep_length[e]);
        ASSERT_EQ(std::memcmp(m.ep_costs + me * C, s.ep_costs + e * C, C * sizeof(float)), 0);
        ASSERT_EQ(std::memcmp(m.ep_info + me * I, s.ep_info + e * I, I * sizeof(float)), 0);
        episodes += s.truncated[e] || s.terminated[e];
      }
    }
    // Random allowed actions for the deciders, the same for both sides.
    std::vector<int32_t> act(static_cast<size_t>(d.num_envs) * d.users, 0), act_a(6, 0), act_b(5, 0);
    for (int me = 0; me < d.num_envs; ++me) {
      for (int u = 0; u < (me < 2 ? 3 : 5); ++u) {
        const size_t row = static_cast<size_t>(me) * d.users + u;
        if (!m.active[row]) continue;
        int choice;
        do choice = static_cast<int>(rng() % A); while (!m.action_mask[row * A + choice]);
        act[row] = choice;
        (me < 2 ? act_a[me * 3 + u] : act_b[u]) = choice;
      }
    }
    if (step == 60) saved = mix.save_state();
    if (step >= 60 && step < 70) obs_after_save.emplace_back(m.obs, m.obs + static_cast<size_t>(d.num_envs) * d.users * F);
    mix.step(act.data());
    a.step(act_a.data());
    b.step(act_b.data());
  }
  EXPECT_GT(episodes, 0);
  // The state round trip: the groups' states go back, and with them the observations.
  mix.load_state(saved);
  EXPECT_EQ(std::memcmp(mix.buffers().obs, obs_after_save[0].data(), obs_after_save[0].size() * sizeof(float)), 0);
  auto truncated = saved;
  truncated.resize(saved.size() - 3);
  EXPECT_THROW(mix.load_state(truncated), EnvStateError);
}

// Groups of envs with users `users` (one env each, or `envs` for the first).
std::unique_ptr<PopulationEnv> population(const std::vector<int>& users, int first_group_envs) {
  std::vector<std::unique_ptr<VecEnv>> groups;
  uint32_t first = 0;
  for (size_t g = 0; g < users.size(); ++g) {
    const int n = g == 0 ? first_group_envs : 1;
    groups.push_back(std::make_unique<OffEnv>(params(users[g], first), n, CpuExec{1}));
    first += static_cast<uint32_t>(n);
  }
  return std::make_unique<PopulationEnv>(std::move(groups));
}

std::vector<torch::Tensor> lagrange_state(const agents::Trainer& t) {
  std::vector<torch::Tensor> v;
  for (const auto& b : t.lagrange()->buffers()) v.push_back(b.detach().clone());
  return v;
}

// PPO-Lagrangian on N = 4 (2 envs) and 8 (1 env): the multipliers are [G, C]
// = [2, 3] and the groups' rows part ways (their costs differ); 2 iterations
// + checkpoint + resume + 1 equals 3 straight, bit for bit, in every
// multiplier and PID state (and the policy); a checkpoint for 2 groups is
// refused by a run configured with 3.
TEST(Population, GroupMultipliersResumeAndMismatchIsRefused) {
  agents::AgentConfig c = agents::test_configs::small_lagrangian_config(0.1f);
  c.train.num_envs = 3;
  c.train.num_users = {4, 8};
  c.lag.kp = {1.f, 1.f, 1.f};
  c.lag.kd = {0.5f, 0.5f, 0.5f};
  const fs::path d1 = testing::fresh_scratch_dir("population_lag_straight"),
                 d2 = testing::fresh_scratch_dir("population_lag_resumed");
  auto e1 = population({4, 8}, 2);
  agents::Trainer straight(*e1, c, d1.string());
  straight.train(3);
  const auto& lam = straight.lagrange()->lambda;
  ASSERT_EQ(lam.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_FALSE(torch::equal(lam[0], lam[1])) << lam;
  {
    auto e2 = population({4, 8}, 2);
    agents::Trainer part(*e2, c, d2.string());
    part.train(2);
    part.save((d2 / "checkpoints" / "last").string());
  }
  auto e3 = population({4, 8}, 2);
  agents::Trainer second(*e3, c, d2.string());
  second.resume();
  second.train(1);
  const auto a = lagrange_state(straight), b = lagrange_state(second);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(torch::equal(a[k], b[k])) << "lagrange buffer " << k;
  EXPECT_EQ(straight.history().back().value_loss, second.history().back().value_loss);
  // The per-group metrics are there, beside the pooled ones.
  const auto& h = straight.history().back().scalars;
  EXPECT_EQ(h.at("constraints/lambda_accuracy/N8"), static_cast<double>(lam[1][1].item<float>()));
  EXPECT_TRUE(h.count("constraints/cost_energy/N4"));
  EXPECT_TRUE(h.count("constraints/cost_energy"));
  // The progress line shows each cost's multiplier per group, in train.num_users order.
  const std::vector<std::string> costs = {"energy", "accuracy", "hallucination"};
  const std::string line = agents::progress_line(straight.history().back(), 3, costs, {}, false, 0);
  for (int k = 0; k < 3; ++k) {
    char want[96];
    std::snprintf(want, sizeof want, "%s %+.3g (λ per N %.3f/%.3f)", costs[k].c_str(),
                  straight.history().back().cost_per_step[k], lam[0][k].item<float>(), lam[1][k].item<float>());
    EXPECT_NE(line.find(want), std::string::npos) << "want \"" << want << "\" in " << line;
  }

  agents::AgentConfig three = c;
  three.train.num_users = {4, 6, 8};
  auto e4 = population({4, 6, 8}, 1);
  agents::Trainer other(*e4, three, d2.string());
  try {
    other.resume();
    ADD_FAILURE() << "a checkpoint for 2 groups resumed with 3";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint has Lagrange multipliers for 2 population group(s), the config's "
                                         "train.num_users has 3"),
              std::string::npos)
        << e.what();
  }
  mecrl::remove_tree(d1);
  mecrl::remove_tree(d2);
}

// The command line: PPO-Lagrangian on N = 4 and 8 at once, one iteration,
// resumed to the end; its checkpoint evaluated at N = 6 and 12 (neither
// trained on); a fractional user count and a cell critic are refused.
TEST(Population, TrainResumeAndEvaluateAtOtherN) {
  const fs::path runs = testing::fresh_scratch_dir("population");
  const std::vector<std::string> train = {
      MECRL_BINARY, "train", "--config", MECRL_SOURCE_DIR "/configs/offload_ppo.yaml", "train.num_users=[4, 8]",
      "env.num_servers=2", "env.episode_slots=100", "train.num_envs=3", "train.rollout_steps=32",
      "train.total_steps=192", "train.checkpoint_every=1", "train.runs_dir=" + runs.string(), "train.name=pop",
      "threads=1", "train.device=cpu", "train.exploration_floor=0.1", "train.exploration_floor_final=0"};
  auto first = train;
  first.push_back("train.time_limit_s=0.001");
  const auto r1 = testing::run_command(first);
  ASSERT_EQ(r1.status, 0) << r1.err;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(runs)) dirs.push_back(e.path());
  ASSERT_EQ(dirs.size(), 1u);
  auto again = train;
  again.push_back("resume=" + dirs[0].string());
  const auto r2 = testing::run_command(again);
  ASSERT_EQ(r2.status, 0) << r2.err;
  EXPECT_NE(r2.out.find("iter    2/2"), std::string::npos) << r2.out;
  EXPECT_NE(r2.out.find("(λ per N "), std::string::npos) << r2.out;
  const fs::path last = dirs[0] / "checkpoints" / "last";
  const auto trainer = nlohmann::json::parse(read_file((last / "trainer.json").string()));
  EXPECT_EQ(trainer["policy_spec"]["users"], 8);
  EXPECT_EQ(trainer["policy_spec"]["exploration_floor"], 0.0);  // the schedule's end
  for (const char* n : {"env.num_users=6", "env.num_users=12"}) {
    const auto ev = testing::run_command({MECRL_BINARY, "eval", "--config", (dirs[0] / "config.yaml").string(),
                                          "--policy", last.string(), "--episodes", "1", "eval.slots=200",
                                          "eval.warmup_slots=50", "--json", n});
    ASSERT_EQ(ev.status, 0) << n << ": " << ev.err;
    const auto j = nlohmann::json::parse(ev.out);
    EXPECT_FALSE(j["metrics"].empty()) << n;
  }
  for (const auto& [arg, what] : std::vector<std::pair<std::string, std::string>>{
           {"train.num_users=[4.5, 8]", "train.num_users has 4.5, not a whole number of users"},
           {"ppo.critic=cell", "train.num_users needs ppo.critic = user"}}) {
    auto bad = train;
    bad.push_back(arg);
    if (arg.rfind("ppo.critic", 0) == 0) bad.push_back("ppo.reward=team");
    const auto r = testing::run_command(bad);
    EXPECT_EQ(r.status, 2) << arg;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  }
  // Resuming the 2-group checkpoint with 3 populations: one line, exit 2, the
  // checkpoint kept (the command line stops at the config check; a run that
  // gets past it, e.g. with config.yaml edited, hits the multipliers' check of
  // Population.GroupMultipliersResumeAndMismatchIsRefused).
  auto three = again;
  std::replace(three.begin(), three.end(), std::string("train.num_users=[4, 8]"), std::string("train.num_users=[4, 6, 8]"));
  const auto before = read_file((last / "trainer.json").string());
  const auto r3 = testing::run_command(three);
  EXPECT_EQ(r3.status, 2) << r3.err;
  EXPECT_NE(r3.err.find("the config differs from the run's config.yaml"), std::string::npos) << r3.err;
  EXPECT_EQ(read_file((last / "trainer.json").string()), before);
  // A scenario without users: refused before anything is written.
  const auto cp = testing::run_command({MECRL_BINARY, "train", "--config", MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml",
                                        "train.num_users=[4, 8]", "train.runs_dir=" + (runs / "cartpole").string()});
  EXPECT_EQ(cp.status, 2);
  EXPECT_NE(cp.err.find("scenario 'cartpole' has no env.num_users"), std::string::npos) << cp.err;
  EXPECT_FALSE(fs::exists(runs / "cartpole"));
  mecrl::remove_tree(runs);
}

}  // namespace
}  // namespace mecrl
