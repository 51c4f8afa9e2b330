// The offload scenario on the GPU: the same envs/offload functions the CPU
// backend runs, instantiated for CudaExec (one thread per env).
#include "cuda/backend.h"
#include "cuda/cuda_exec.cuh"
#include "envs/offload/scenario.h"
#include "envs/scenario_env.h"

namespace mecrl::cuda {

// ---- launchers
std::unique_ptr<VecEnv> make_offload_env(const offload::OffloadParams& p, int num_envs, bool with_events) {
  return std::make_unique<ScenarioEnv<offload::OffloadScenario, CudaExec>>(p, num_envs, CudaExec{}, with_events);
}

}  // namespace mecrl::cuda
