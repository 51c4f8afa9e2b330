// agents/checkpoint_check: the world model's replay in a checkpoint, built
// here with the shapes agents/rollout.h documents, passes; each way of
// breaking it is refused with the tensor named. (The trainer.json and
// tensor checks are exercised through the command line in
// test_nothing_silent.cpp; a real world-model checkpoint passes in
// test_trainer.cpp's ResumeEqualsUninterruptedRun.)
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "agents/checkpoint_check.h"
#include "core/error.h"

namespace mecrl::agents {
namespace {

TensorBlob blob(const std::string& dtype, std::vector<int64_t> shape) {
  TensorBlob t{dtype, std::move(shape), {}};
  t.bytes.assign(static_cast<size_t>(shape_numel(t.shape)) * safetensors_dtype_size(dtype), '\0');
  return t;
}

// One rollout of T = 5 steps, E = 3 envs, U = 4 users, F = 6 features, A = 3 actions.
std::map<std::string, TensorBlob> replay(int rollouts) {
  std::map<std::string, TensorBlob> m;
  for (int k = 0; k < rollouts; ++k) {
    const std::string p = "replay." + std::to_string(k) + ".";
    m[p + "obs"] = blob("F32", {5, 3, 4, 6});
    m[p + "next_obs"] = blob("F32", {5, 3, 4, 6});
    m[p + "active"] = blob("U8", {5, 3, 4});
    m[p + "next_active"] = blob("U8", {5, 3, 4});
    m[p + "actions"] = blob("I64", {5, 3, 4});
    m[p + "rewards"] = blob("F32", {5, 3, 4, 2});
    m[p + "terminated"] = blob("U8", {5, 3});
    m[p + "truncated"] = blob("U8", {5, 3});
    m[p + "joint"] = blob("F32", {5, 3, 2});
  }
  m["gate_open"] = blob("I64", {});
  return m;
}

std::string error_of(const std::map<std::string, TensorBlob>& m) {
  try {
    check_replay_tensors(m, 3, 4, 6, 3, "x.safetensors");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(CheckpointCheck, ReplayOfTheRolloutShapes) {
  EXPECT_EQ(error_of(replay(2)), "(accepted)");
  EXPECT_EQ(error_of({}), "(accepted)") << "no world model: no replay";
  auto missing = replay(2);
  missing.erase("replay.1.joint");
  EXPECT_EQ(error_of(missing), "x.safetensors: tensor 'replay.1.joint' is missing");
  auto other_envs = replay(1);
  other_envs["replay.0.terminated"] = blob("U8", {5, 2});
  EXPECT_EQ(error_of(other_envs),
            "x.safetensors: tensor 'replay.0.terminated' is U8 [5, 2]; the rollout of 3 envs holds U8 [T, 3]");
  auto other_steps = replay(1);
  other_steps["replay.0.next_obs"] = blob("F32", {4, 3, 4, 6});
  EXPECT_EQ(error_of(other_steps), "x.safetensors: tensor 'replay.0.next_obs' is F32 [4, 3, 4, 6]; the rollout of 3 "
                                   "envs holds F32 [T, 3, 4, 6]");
  // wm.raw_targets: the raw streams in place of the scaled ones, checked the same way.
  auto raw = replay(1);
  raw["replay.0.raw_rewards"] = raw["replay.0.rewards"];
  raw.erase("replay.0.rewards");
  EXPECT_EQ(error_of(raw), "(accepted)");
  raw["replay.0.raw_rewards"] = blob("F32", {5, 2, 4, 2});
  EXPECT_EQ(error_of(raw), "x.safetensors: tensor 'replay.0.raw_rewards' is F32 [5, 2, 4, 2]; the rollout of 3 envs "
                           "holds F32 [T, 3, -1, -1]");
  raw.erase("replay.0.raw_rewards");
  EXPECT_EQ(error_of(raw), "x.safetensors: tensor 'replay.0.rewards' is missing");
  auto other_dtype = replay(1);
  other_dtype["replay.0.actions"] = blob("F32", {5, 3, 4});
  EXPECT_EQ(error_of(other_dtype),
            "x.safetensors: tensor 'replay.0.actions' is F32 [5, 3, 4]; the rollout of 3 envs holds I64 [T, 3, 4]");
}

}  // namespace
}  // namespace mecrl::agents
