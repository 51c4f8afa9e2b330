// agents::train (agents/api.h): builds a Trainer and runs it.
#include <torch/torch.h>

#include "agents/api.h"
#include "agents/trainer.h"

namespace mecrl::agents {

void train(VecEnv& env, const AgentConfig& cfg, const std::vector<ResolvedKey>& resolved, const std::string& run_dir,
           bool resume) {
  if (cfg.train.threads > 0) torch::set_num_threads(cfg.train.threads);
  Trainer trainer(env, cfg, run_dir, resolved);
  if (resume) trainer.resume();
  trainer.train();
}

}  // namespace mecrl::agents
