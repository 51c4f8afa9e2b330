#include "envs/cartpole/params_config.h"

namespace mecrl::cartpole {

CartPoleParams read_cartpole_params(ConfigReader& r) {
  CartPoleParams p;
  r.get("seed", p.seed, "run seed (Philox key)");
  r.get("env.max_episode_steps", p.max_episode_steps, 1, 1 << 24, "time limit (CartPole-v1: 500)");
  r.get("env.gravity", p.gravity, 0, 100, "m/s^2");
  r.get("env.force_mag", p.force_mag, 0, 1000, "push force, N");
  r.get("env.tau", p.tau, 1e-5, 1, "Euler step, s");
  return p;
}

}  // namespace mecrl::cartpole
