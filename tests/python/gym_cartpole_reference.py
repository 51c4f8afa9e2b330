"""Reference CartPole-v1 trajectories from gymnasium itself, as JSON on stdout.

Used by tests/envs/cartpole/test_cartpole_gymnasium.cpp: the C++ env starts
from the same initial state, takes the same actions, and must return the same
observations, rewards and termination/truncation flags.
"""
import json
import sys

try:
    import gymnasium as gym
    import numpy as np
except ImportError as e:  # the C++ test skips on exit code 77
    print(f"gymnasium unavailable: {e}", file=sys.stderr)
    sys.exit(77)


def trajectory(seed, policy):
    env = gym.make("CartPole-v1")  # TimeLimit(500) included
    obs, _ = env.reset(seed=seed)
    state = [float(x) for x in env.unwrapped.state]
    rng = np.random.default_rng(seed)
    steps = []
    while True:
        if policy == "random":
            a = int(rng.integers(0, 2))
        else:  # a simple balancing controller, to reach the 500-step truncation
            x, x_dot, th, th_dot = obs
            a = int(th + 0.5 * th_dot + 0.01 * x + 0.1 * x_dot > 0)
        obs, r, term, trunc, _ = env.step(a)
        steps.append({"action": a, "obs": [float(v) for v in obs], "reward": float(r),
                      "terminated": bool(term), "truncated": bool(trunc)})
        if term or trunc:
            return {"seed": seed, "policy": policy, "state": state, "steps": steps}


cases = [trajectory(s, "random") for s in range(20)] + [trajectory(s, "balance") for s in range(3)]
json.dump({"gymnasium": gym.__version__, "cases": cases}, sys.stdout)
