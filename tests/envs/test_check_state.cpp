// VecEnv::load_state checks the bytes before they replace the live state
// (envs/check_state.h, envs/*/validate_state.h): every state the dynamics
// reach passes (run here through episode ends with the scenarios' own
// policies), each rule fires on a state broken in just that field, random
// bytes of the right size are refused, and a refused load leaves the env as
// it was.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "envs/cartpole/cartpole.h"
#include "envs/cpu_exec.h"
#include "envs/offload/offload_test_util.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/scenario.h"
#include "envs/uncertainty/uncertainty_test_util.h"

namespace mecrl {
namespace {

using OffEnv = ScenarioEnv<offload::OffloadScenario, CpuExec>;
using UncEnv = ScenarioEnv<uncertainty::UncertaintyScenario, CpuExec>;
using CartEnv = ScenarioEnv<cartpole::CartPoleScenario, CpuExec>;

std::string load_error(VecEnv& env, const std::vector<uint8_t>& bytes) {
  try {
    env.load_state(bytes);
  } catch (const EnvStateError& e) {
    return e.what();
  }
  return "(accepted)";
}

// The byte offset of element `index` of a state field inside save_state()'s
// bytes: the fields are carved from one allocation that starts at `first`.
template <class T, class F>
size_t offset_of(const F* first, const T* field, size_t index) {
  return static_cast<size_t>(reinterpret_cast<const char*>(field + index) - reinterpret_cast<const char*>(first));
}

template <class T>
std::vector<uint8_t> with(std::vector<uint8_t> bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
  return bytes;
}

// Steps `env` with baseline `policy` for `steps`, checking every 7th state
// loads into `twin` (an env of the same params).
void run_and_reload(VecEnv& env, VecEnv& twin, const std::string& policy, int steps) {
  std::vector<int32_t> actions(static_cast<size_t>(env.dims().num_envs) * env.dims().users);
  for (int t = 0; t < steps; ++t) {
    env.act_baseline(policy, actions.data());
    env.step(actions.data());
    if (t % 7 == 0) {
      ASSERT_EQ(load_error(twin, env.save_state()), "(accepted)") << policy << " step " << t;
    }
  }
}

// Bytes of a scenario's State in save_state() (the step buffers follow).
template <class State>
size_t state_bytes(const SoaLayout& l) {
  State tmp{};
  tmp.l = l;
  SoaArena measure(l, nullptr);
  tmp.visit(measure);
  return measure.bytes();
}

// Offset in save_state()'s bytes of observation element `index`.
size_t obs_offset(size_t state_size, size_t index) {
  return state_size + index * sizeof(float);  // obs is the first step buffer
}

// Every broken state is refused with `message`, and the refusals leave
// `twin` as it was.
struct Broken {
  std::vector<uint8_t> bytes;
  std::string message;
};

void expect_refused(VecEnv& twin, const std::vector<Broken>& cases, const std::string& head) {
  const std::vector<uint8_t> before = twin.save_state();
  for (const Broken& c : cases) EXPECT_EQ(load_error(twin, c.bytes), head + c.message);
  EXPECT_EQ(twin.save_state(), before) << "refused loads change nothing";
}

void expect_size_and_noise_refused(VecEnv& twin, const std::vector<uint8_t>& good, const std::string& scenario) {
  const std::vector<uint8_t> before = twin.save_state();
  EXPECT_EQ(load_error(twin, std::vector<uint8_t>(good.begin(), good.end() - 8)),
            scenario + " state of " + std::to_string(good.size() - 8) + " bytes, expected " +
                std::to_string(good.size()) + " (another scenario, size or backend layout)");
  std::mt19937 rng(14);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<uint8_t> noise(good.size());
    for (auto& b : noise) b = static_cast<uint8_t>(rng());
    EXPECT_NE(load_error(twin, noise), "(accepted)") << "random bytes, trial " << trial;
  }
  EXPECT_EQ(twin.save_state(), before);
}

TEST(CheckState, Offload) {
  const auto p = offload::testing::params_with({"env.num_users=12", "env.episode_slots=60", "env.num_servers=2",
                                                "env.server.gpu=[L4, A100_80GB]"});
  OffEnv env(p, 3, CpuExec{1}), twin(p, 3, CpuExec{1});
  for (const char* policy : {"random", "greedy", "offload", "local"}) run_and_reload(env, twin, policy, 150);

  const std::vector<uint8_t> good = env.save_state();
  const auto& s = env.state();
  const uint8_t* base = s.device_kind;  // the first field carved
  const size_t u = s.l.user(1, 2), k = s.l.server(2, 1);
  auto upload_local = with<uint8_t>(good, offset_of(base, s.phase, u), offload::kUpload);
  upload_local = with<uint8_t>(upload_local, offset_of(base, s.target, u), 0);
  const size_t obs_k = (static_cast<size_t>(1) * p.num_users + 4) * env.dims().features + 3;  // env 1, user 4
  expect_refused(
      twin,
      {{with<uint8_t>(good, offset_of(base, s.phase, u), 9), "env 1, user 2: phase = 9 (a Phase, 0..5)"},
       {with<uint8_t>(good, offset_of(base, s.device_kind, u), 7),
        "env 1, user 2: device_kind = 7 (a row of tables.devices)"},
       {with<uint8_t>(good, offset_of(base, s.target, u), 3), "env 1, user 2: target = 3 (0 local or 1..num_servers)"},
       {upload_local, "env 1, user 2: target = 0 (a user uploading or at a server targets a server)"},
       {with<float>(good, offset_of(base, s.deficit_j, u), -1.f), "env 1, user 2: deficit_j = -1 (>= 0)"},
       {with<float>(good, offset_of(base, s.work, u), NAN), "env 1, user 2: work = nan (must be finite)"},
       {with<float>(good, offset_of(base, s.uncertainty, u), 1.5f), "env 1, user 2: uncertainty = 1.5 (in [0, 1])"},
       {with<float>(good, offset_of(base, s.fade_im, s.l.pair(1, 2, 1)), INFINITY),
        "env 1, user 2: fade_im = inf (must be finite)"},
       {with<int32_t>(good, offset_of(base, s.n_active, k), 99), "env 2, server 1: n_active = 99 (in [0, N])"},
       {with<int32_t>(good, offset_of(base, s.next_active, k), -1),
        "env 2, server 1: next_active = -1 (in [0, next_ticket])"},
       {with<int32_t>(good, offset_of(base, s.t, 0), -5), "env 0, t = -5 (in [0, episode_slots])"},
       {with<float>(good, offset_of(base, s.acc_ema, 0), 2.f), "env 0, acc_ema = 2 (in [0, 1])"},
       {with<float>(good, obs_offset(state_bytes<offload::OffloadState>(s.l), obs_k), NAN),
        "env 1, user 4: obs feature 3 = nan (must be finite)"}},
      "not a state the offload dynamics can reach: ");
  expect_size_and_noise_refused(twin, good, "offload");
}

TEST(CheckState, Uncertainty) {
  const auto p = uncertainty::testing::params_with({"env.num_users=10"});
  UncEnv env(p, 4, CpuExec{1}), twin(p, 4, CpuExec{1});
  for (const char* policy : {"random", "goa", "dmin", "local", "edge"}) run_and_reload(env, twin, policy, 30);
  const std::vector<uint8_t> good = env.save_state();
  const auto& s = env.state();
  const float* base = s.x_m;
  const size_t u = s.l.user(3, 5);
  expect_refused(
      twin,
      {{with<float>(good, offset_of(base, s.x_m, u), -1.f), "env 3, user 5: x_m = -1 (in [0, area_m])"},
       {with<float>(good, offset_of(base, s.alpha, u), NAN), "env 3, user 5: alpha = nan (in [0, 1])"},
       {with<uint8_t>(good, offset_of(base, s.llm_correct, u), 2), "env 3, user 5: llm_correct = 2 (0 or 1)"},
       {with<float>(good, offset_of(base, s.local_s, u), 0.f), "env 3, user 5: local_s = 0 (finite, > 0)"},
       {with<float>(good, offset_of(base, s.server_flops, s.l.server(0, 2)), -3.f),
        "env 0, server 2: server_flops = -3 (finite, > 0)"},
       {with<uint32_t>(good, offset_of(base, s.drawn, 1), 0u),
        "env 1, drawn = 0 (a reset env has drawn a snapshot, >= 1)"}},
      "not a state the uncertainty dynamics can reach: ");
  expect_size_and_noise_refused(twin, good, "uncertainty");
}

TEST(CheckState, CartPole) {
  cartpole::CartPoleParams p;
  p.max_episode_steps = 40;
  CartEnv env(p, 5, CpuExec{1}), twin(p, 5, CpuExec{1});
  for (const char* policy : {"random", "left", "right"}) run_and_reload(env, twin, policy, 120);
  const std::vector<uint8_t> good = env.save_state();
  const auto& s = env.state();
  const double* base = s.x;
  expect_refused(twin,
                 {{with<double>(good, offset_of(base, s.x, 2), 3.0), "env 2, x = 3 (|x| <= x_threshold)"},
                  {with<double>(good, offset_of(base, s.theta_dot, 4), NAN), "env 4, theta_dot = nan (must be finite)"},
                  {with<int32_t>(good, offset_of(base, s.t, 0), 40),
                   "env 0, t = 40 (steps in the episode, in [0, max_episode_steps))"},
                  {with<uint8_t>(good, state_bytes<cartpole::CartPoleState>(s.l) +
                                           (reinterpret_cast<const char*>(env.buffers().active + 3) -
                                            reinterpret_cast<const char*>(env.buffers().obs)),
                                 5),
                   "env 3, user 0: active = 5 (0 or 1)"}},
                 "not a state the cartpole dynamics can reach: ");
  expect_size_and_noise_refused(twin, good, "cartpole");
}

}  // namespace
}  // namespace mecrl
