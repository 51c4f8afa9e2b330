// Loading a trained policy for evaluation (mecrl eval --policy <checkpoint>).
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "agents/api.h"
#include "agents/checkpoint.h"
#include "agents/env_tensors.h"
#include "agents/policy.h"
#include "core/error.h"

namespace mecrl::agents {

bool available() { return true; }

bool is_checkpoint(const std::string& path) {
  return std::filesystem::exists(std::filesystem::path(path) / "trainer.json");
}

ActFn load_policy(const std::string& dir, bool deterministic) {
  const CheckpointData data = load_checkpoint(dir);
  if (!data.trainer.contains("policy_spec")) throw UsageError(dir + "/trainer.json: policy_spec missing");
  const PolicySpec spec = spec_from_json(data.trainer["policy_spec"], dir + "/trainer.json");
  auto policy = std::make_shared<ActorCritic>(spec);
  load_module_tensors(**policy, data.model, "policy.", dir);
  (*policy)->eval();
  const std::string scenario = data.trainer.value("scenario", "");
  return [policy, spec, deterministic, dir, scenario](VecEnv& env, int32_t* actions) {
    const EnvDims& d = env.dims();
    if (env.scenario() != scenario || d.features != spec.features || d.actions != spec.actions) {
      throw UsageError(fmt::format("{}: policy was trained on '{}' with {} features and {} actions; this env is '{}' "
                                   "with {} features and {} actions (the number of servers and the scenario's "
                                   "observation options such as env.join_view must match; the number of users may "
                                   "differ)",
                                   dir, scenario, spec.features, spec.actions, env.scenario(), d.features, d.actions));
    }
    torch::NoGradGuard no_grad;
    const EnvTensors t = wrap_env(env);
    (*policy)->to(t.device);
    const auto mask = t.action_mask.to(torch::kBool);
    // Greedy: the most likely action, the same under the exploration floor.
    const auto a = deterministic ? (*policy)->logits(t.obs, mask).argmax(-1)
                                 : sample_actions((*policy)->dist_logits(t.obs, mask));
    auto out = torch::from_blob(actions, {d.num_envs, d.users}, torch::TensorOptions().dtype(torch::kInt32).device(t.device));
    out.copy_(a * t.active.to(torch::kInt64));
  };
}

}  // namespace mecrl::agents
