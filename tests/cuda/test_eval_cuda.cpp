// `eval` on the GPU (eval.device=cuda) reports what the CPU reports: the env
// step is byte-identical across backends and the host mirror reads the GPU's
// buffers and events back (envs/host_mirror.h). Skips without a GPU.
#include <gtest/gtest.h>

#include "core/config.h"
#include "cuda/backend.h"
#include "envs/offload/evaluate.h"
#include "envs/offload/params_config.h"
#include "envs/uncertainty/evaluate.h"
#include "envs/uncertainty/params_config.h"
#include "same_report.h"

namespace mecrl {
namespace {

class EvalCudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_F(EvalCudaVsCpu, OffloadReportsEqual) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/offload.yaml");
  cfg.override_with({"env.num_users=50"});
  ConfigReader r(cfg);
  const offload::OffloadParams p = offload::read_offload_params(r);
  offload::EvalSettings st;
  st.slots = 600;
  st.warmup_slots = 100;
  st.episodes = 16;
  const auto gpu = [](const offload::OffloadParams& q, int n) { return cuda::make_offload_env(q, n, true); };
  for (const char* policy : {"random", "greedy"}) {
    testing::expect_same_report(offload::evaluate(p, st, policy, offload::baseline_policy(policy)),
                offload::evaluate(p, st, policy, offload::baseline_policy(policy), nullptr, gpu));
  }
}

TEST_F(EvalCudaVsCpu, UncertaintyReportsEqual) {
  Config cfg = Config::load(MECRL_SOURCE_DIR "/configs/uncertainty.yaml");
  cfg.override_with({"env.num_users=120"});
  ConfigReader r(cfg);
  const uncertainty::UncertaintyParams p = uncertainty::read_uncertainty_params(r);
  uncertainty::EvalSettings st;
  st.episodes = 64;
  const auto gpu = [](const uncertainty::UncertaintyParams& q, int n) {
    return cuda::make_uncertainty_env(q, n, true);
  };
  for (const char* policy : {"goa", "random"}) {
    testing::expect_same_report(uncertainty::evaluate_uncertainty(p, st, policy, uncertainty::baseline_policy(policy)),
                uncertainty::evaluate_uncertainty(p, st, policy, uncertainty::baseline_policy(policy), gpu), "solver");
  }
}

}  // namespace
}  // namespace mecrl
