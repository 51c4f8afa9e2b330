// Fuzzing the checkpoint loaders: mutants of a real checkpoint (one file
// changed per input; for the files the manifest covers, its size and CRC are
// forged to match, so the content checks behind the CRC are what is tested)
// go through everything that reads a checkpoint: Trainer::resume (counters,
// weights, optimiser, env state) and load_policy + one action (eval). The
// only acceptable outcomes are success or a UsageError; any other exception,
// or a crash, fails. Bounded time (MECRL_FUZZ_SECONDS, default 10 s).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "agents/api.h"
#include "agents/checkpoint.h"
#include "agents/trainer.h"
#include "core/crc32c.h"
#include "core/error.h"
#include "envs/cartpole/cartpole.h"
#include "envs/cpu_exec.h"
#include "envs/scenario_env.h"
#include "fuzz_mutate.h"
#include "temp_dir.h"
#include "core/remove_tree.h"

namespace mecrl::agents {
namespace {

namespace fs = std::filesystem;
using CartEnv = ScenarioEnv<cartpole::CartPoleScenario, CpuExec>;

const std::vector<std::string> kTokens = {
    "-1", "0", "1e999", "null", "\"x\"", "true", "[]", "{}", "[1]", "-9223372036854775808", "18446744073709551615",
    "\"F32\"", "\"BF16\"", "\"I64\"", "\"shape\"", "\"data_offsets\"", "\"../x\"", "\"iteration\"",
    "\"global_step\"", "\"hidden\"", "\"bytes\"", "NaN", "\xff\xff\xff\x7f", std::string(8, '\xff'),
    std::string(4, '\0'), "PK\x03\x04", ","};

AgentConfig tiny_config() {
  AgentConfig c;
  c.train.num_envs = 2;
  c.train.rollout_steps = 16;
  c.train.total_steps = 2 * 16 * 4;
  c.train.checkpoint_every = 1;
  c.ppo.hidden = 8;
  c.train.quiet = true;
  return c;
}

// Writes `files` as the run's checkpoints/last, the manifest forged to match
// every file but trainer.json (when trainer.json still parses).
void write_checkpoint(const fs::path& last, std::map<std::string, std::string> files, bool forge) {
  mecrl::remove_tree(last);
  fs::create_directories(last);
  if (forge) {
    try {
      nlohmann::json t = nlohmann::json::parse(files.at("trainer.json"));
      for (const auto& [name, bytes] : files) {
        if (name != "trainer.json" && t.is_object() && t.contains("files") && t["files"].is_object() &&
            t["files"].contains(name)) {
          t["files"][name] = {{"bytes", bytes.size()}, {"crc32c", crc32c(bytes)}};
        }
      }
      files["trainer.json"] = t.dump();
    } catch (const std::exception&) {
      // an unparsable trainer.json stays as it is
    }
  }
  for (const auto& [name, bytes] : files) std::ofstream(last / name, std::ios::binary) << bytes;
}

TEST(CheckpointFuzz, MutantsLoadOrFailWithOneUsageError) {
  torch::set_num_threads(1);
  const fs::path run = testing::fresh_scratch_dir("checkpoint_fuzz");
  const AgentConfig cfg = tiny_config();
  std::map<std::string, std::string> good;
  {
    CartEnv env(cartpole::CartPoleParams{}, cfg.train.num_envs, CpuExec{1});
    Trainer t(env, cfg, run.string());
    t.train(2);
    for (const auto& e : fs::directory_iterator(run / "checkpoints" / "last")) {
      good[e.path().filename().string()] = testing::slurp(e.path());
    }
  }
  ASSERT_TRUE(good.count("optimizer.safetensors") && good.count("env_state.bin") && good.count("model.safetensors"));
  std::vector<std::string> names, others;
  for (const auto& [name, bytes] : good) {
    names.push_back(name);
    others.push_back(bytes);
  }
  const uint64_t seed = testing::fuzz_seed(1114);
  testing::Mutator m(seed);
  const fs::path last = run / "checkpoints" / "last";
  const auto t0 = std::chrono::steady_clock::now();
  const double budget = testing::fuzz_seconds(10);
  long n = 0, accepted = 0;
  for (; testing::seconds_since(t0) < budget; ++n) {
    std::map<std::string, std::string> files = good;
    const std::string& name = names[m.pick(names.size())];
    files[name] = m.mutate(files[name], kTokens, others);
    write_checkpoint(last, files, /*forge=*/name != "trainer.json" || m.pick(2) == 0);
    try {
      CartEnv env(cartpole::CartPoleParams{}, cfg.train.num_envs, CpuExec{1});
      Trainer t(env, cfg, run.string());
      t.resume();
      const ActFn act = load_policy(last.string(), true);
      std::vector<int32_t> actions(cfg.train.num_envs);
      act(env, actions.data());
      ++accepted;
    } catch (const UsageError&) {
      // the expected outcome for most mutants
    } catch (const std::exception& e) {
      ADD_FAILURE() << "seed " << seed << ", iteration " << n << ", file " << name << ": " << typeid(e).name()
                    << ": " << std::string(e.what()).substr(0, 400);
      break;
    }
  }
  std::cout << "checkpoint fuzz: " << n << " inputs in " << budget << " s (seed " << seed << "), " << accepted
            << " accepted, 0 crashes\n";
  EXPECT_GT(n, 50);
}

}  // namespace
}  // namespace mecrl::agents
