// The cartpole scenario on the GPU (same envs/cartpole functions).
#include "cuda/backend.h"
#include "cuda/cuda_exec.cuh"
#include "envs/cartpole/cartpole.h"
#include "envs/scenario_env.h"

namespace mecrl::cuda {

// ---- launchers
std::unique_ptr<VecEnv> make_cartpole_env(const cartpole::CartPoleParams& p, int num_envs) {
  return std::make_unique<ScenarioEnv<cartpole::CartPoleScenario, CudaExec>>(p, num_envs, CudaExec{});
}

}  // namespace mecrl::cuda
