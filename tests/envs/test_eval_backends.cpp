// One evaluation loop for every backend (envs/host_mirror.h): an env whose
// memory the host does not read in place has its step buffers and events
// copied and re-carved. Here a CPU env is wrapped so that it looks like such
// an env (device() says cuda, so nothing is read in place); the reports must
// equal, number for number and sample for sample, those of the plain CPU
// path. A wrong carve (a field shifted, the wrong layout) changes them.
#include <gtest/gtest.h>

#include <memory>

#include "core/config.h"
#include "envs/cartpole/cartpole.h"
#include "envs/cpu_exec.h"
#include "envs/episode_returns.h"
#include "envs/offload/evaluate.h"
#include "envs/offload/params_config.h"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"
#include "envs/uncertainty/evaluate.h"
#include "envs/uncertainty/params_config.h"
#include "envs/uncertainty/scenario.h"
#include "same_report.h"

namespace mecrl {
namespace {

// Forwards everything to a CPU env, but is not a ScenarioEnv<Sc, CpuExec>
// and reports another device: the host mirror has to copy.
class CopiedEnv final : public VecEnv {
 public:
  explicit CopiedEnv(std::unique_ptr<VecEnv> inner) : inner_(std::move(inner)) {}
  const EnvDims& dims() const override { return inner_->dims(); }
  Device device() const override { return Device::Cuda; }
  std::string scenario() const override { return inner_->scenario(); }
  void reset_all() override { inner_->reset_all(); }
  void step(const int32_t* actions) override { inner_->step(actions); }
  const StepBuffers& buffers() const override { return inner_->buffers(); }
  std::vector<std::string> cost_names() const override { return inner_->cost_names(); }
  std::vector<std::string> info_names() const override { return inner_->info_names(); }
  std::vector<std::string> baseline_names() const override { return inner_->baseline_names(); }
  void act_baseline(const std::string& name, int32_t* actions) override { inner_->act_baseline(name, actions); }
  std::vector<uint8_t> save_state() const override { return inner_->save_state(); }
  void load_state(const std::vector<uint8_t>& bytes) override { inner_->load_state(bytes); }
  void synchronize() const override {}
  int32_t* action_buffer() override { return inner_->action_buffer(); }
  void copy_buffers_to_host(std::vector<uint8_t>& b) const override { inner_->copy_buffers_to_host(b); }
  void copy_events_to_host(std::vector<uint8_t>& b) const override { inner_->copy_events_to_host(b); }

 private:
  std::unique_ptr<VecEnv> inner_;
};

TEST(EvalBackends, OffloadReportThroughCopiedViewsEqualsInPlace) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.override_with({"env.num_users=13", "env.num_servers=2"});
  ConfigReader r(cfg);
  const offload::OffloadParams p = offload::read_offload_params(r);
  offload::EvalSettings st;
  st.slots = 300;
  st.warmup_slots = 40;
  st.episodes = 5;
  st.threads = 1;
  const auto copied = [&](const offload::OffloadParams& q, int n) -> std::unique_ptr<VecEnv> {
    return std::make_unique<CopiedEnv>(
        std::make_unique<ScenarioEnv<offload::OffloadScenario, CpuExec>>(q, n, CpuExec{1}, true));
  };
  for (const char* policy : {"random", "greedy"}) {
    const Report in_place = offload::evaluate(p, st, policy, offload::baseline_policy(policy));
    const Report via_copy = offload::evaluate(p, st, policy, offload::baseline_policy(policy), nullptr, copied);
    ASSERT_GT(in_place.samples.at(0).second.size(), 10u) << "queries completed";
    testing::expect_same_report(in_place, via_copy);
  }
}

TEST(EvalBackends, UncertaintyReportThroughCopiedViewsEqualsInPlace) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/uncertainty.yaml");
  cfg.override_with({"env.num_users=33"});
  ConfigReader r(cfg);
  const uncertainty::UncertaintyParams p = uncertainty::read_uncertainty_params(r);
  uncertainty::EvalSettings st;
  st.episodes = 7;
  st.threads = 1;
  const auto copied = [&](const uncertainty::UncertaintyParams& q, int n) -> std::unique_ptr<VecEnv> {
    return std::make_unique<CopiedEnv>(
        std::make_unique<ScenarioEnv<uncertainty::UncertaintyScenario, CpuExec>>(q, n, CpuExec{1}, true));
  };
  for (const char* policy : {"goa", "random"}) {
    const Report in_place = uncertainty::evaluate_uncertainty(p, st, policy, uncertainty::baseline_policy(policy));
    const Report via_copy =
        uncertainty::evaluate_uncertainty(p, st, policy, uncertainty::baseline_policy(policy), copied);
    // The solver's wall time differs from run to run; everything else may not.
    testing::expect_same_report(in_place, via_copy, "solver");
  }
}

TEST(EvalBackends, EpisodeReturnsThroughCopiedViewsEqualInPlace) {
  const auto make = [] {
    return std::make_unique<ScenarioEnv<cartpole::CartPoleScenario, CpuExec>>(cartpole::CartPoleParams{}, 8,
                                                                               CpuExec{1});
  };
  auto plain = make();
  CopiedEnv copied(make());
  const ActFn act = [](VecEnv& env, int32_t* a) { env.act_baseline("random", a); };
  testing::expect_same_report(evaluate_returns(*plain, act, 20, "random"), evaluate_returns(copied, act, 20, "random"));
}

}  // namespace
}  // namespace mecrl
