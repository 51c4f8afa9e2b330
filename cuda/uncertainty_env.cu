// The uncertainty scenario on the GPU: the same envs/uncertainty functions
// the CPU backend runs (snapshot draw, step, GOA and the other baselines),
// instantiated for CudaExec (one thread per env, env-minor state).
#include "cuda/backend.h"
#include "cuda/cuda_exec.cuh"
#include "envs/scenario_env.h"
#include "envs/uncertainty/scenario.h"

namespace mecrl::cuda {

// ---- launchers
std::unique_ptr<VecEnv> make_uncertainty_env(const uncertainty::UncertaintyParams& p, int num_envs,
                                             bool with_events) {
  return std::make_unique<ScenarioEnv<uncertainty::UncertaintyScenario, CudaExec>>(p, num_envs, CudaExec{},
                                                                                    with_events);
}

}  // namespace mecrl::cuda
