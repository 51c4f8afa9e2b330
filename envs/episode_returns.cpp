#include "envs/episode_returns.h"

#include <fmt/format.h>

#include <vector>

#include "core/stats.h"

namespace mecrl {

Report evaluate_returns(VecEnv& env, const ActFn& act, int episodes, const std::string& policy_name,
                        ProgressLine* progress) {
  const EnvDims& d = env.dims();
  const StepBuffers& b = env.buffers();  // CPU env: host pointers
  std::vector<int32_t> actions(static_cast<size_t>(d.num_envs) * d.users, 0);
  std::vector<double> returns, lengths;
  while (static_cast<int>(returns.size()) < episodes) {
    act(env, actions.data());
    env.step(actions.data());
    for (int e = 0; e < d.num_envs && static_cast<int>(returns.size()) < episodes; ++e) {
      if (b.terminated[e] || b.truncated[e]) {
        returns.push_back(b.ep_return[e]);
        lengths.push_back(b.ep_length[e]);
      }
    }
    if (progress) progress->set(static_cast<double>(returns.size()));
  }
  Report r;
  r.title = fmt::format("{} | policy {} | {} episodes", env.scenario(), policy_name, episodes);
  r.header = {{"scenario", env.scenario()}, {"policy", policy_name}, {"episodes", std::to_string(episodes)}};
  r.samples = {{"episodic_return", returns}, {"episodic_length", lengths}};
  r.add("episodic_return", mean_of(returns), "mean return per episode", standard_error(returns));
  r.add("episodic_length", mean_of(lengths), "mean steps per episode", standard_error(lengths));
  return r;
}

}  // namespace mecrl
