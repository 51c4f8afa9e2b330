#include "envs/episode_returns.h"

#include <fmt/format.h>

#include <vector>

#include "core/stats.h"
#include "envs/host_mirror.h"

namespace mecrl {

Report evaluate_returns(VecEnv& env, const ActFn& act, int episodes, const std::string& policy_name,
                        ProgressLine* progress) {
  const EnvDims& d = env.dims();
  HostBuffers host(env);
  const StepBuffers& b = host.buffers();
  int32_t* actions = env.action_buffer();  // [E, U] on the env's device
  std::vector<double> returns, lengths;
  while (static_cast<int>(returns.size()) < episodes) {
    act(env, actions);
    env.step(actions);
    host.refresh(env);
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
