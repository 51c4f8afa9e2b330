"""Learning curves read as issue 16's targets: convergence figures of one
run, and the verdicts of a study (several agents x seeds at one N).

A run's curve (read_curve) is, by default, its mean reward per slot in the
env's units (metrics.csv `charts/reward_per_step`, one value per iteration)
averaged over the last episode's worth of iterations, or its episodic returns
(`charts/episodic_return`, one value per iteration in which episodes
finished). Why the reward per slot: an offload episode is 2,400 slots and
every env starts together, so a 120k-step run of 16 envs logs 3 episodic
returns, too few to time anything; the cell's reward per slot averaged over
its users is what the episodic return sums. Why over an episode: with the
envs in step, an iteration's reward depends on where in the episode it falls
(queues fill from empty at every episode start: -0.12 per slot in a run's
first iteration, -0.18 to -0.20 later, at N = 100), so each point averages
the last ceil(episode_slots / rollout_steps) iterations (iterations_per_episode,
from the run's config.yaml) and the curve starts after the first episode, as
the episodic returns do. (Runs from before 2026-11-28 logged the reward scaled
by ppo.norm_reward: do not mix.)
A curve is smoothed over 5 logged points (a trailing mean). Rewards are
negative here (minus latency), higher is better; "return" below means the
curve's value.
  final return      the mean of the raw returns over the last 20 % of the curve
  steps to 95 %     first step at which the smoothed curve has covered 95 % of
                    the way from its first value to the final return
  steps to reach X  first step at which the smoothed curve is >= X; never (inf)
                    if it does not get there
Targets (issue 16), median over seeds:
  speed       WM-PPO reaches PPO's final return (the median of PPO's seeds'
              final returns) in <= 0.67x the steps PPO's seeds take to reach
              it (each agent: the median over its seeds of steps to reach;
              a seed that never does counts as inf)
  final       WM-PPO's median final return >= PPO's
  constraints every seed's deterministic evaluation meets all three constraints
Standard library only.
"""
import csv
import math
import re
import statistics

WINDOW = 5            # logged episodes per smoothing window
SPEED_RATIO = 0.67    # "about 50 % faster" (seed 000), as issue 16 reads it


CURVES = ("reward_per_step", "episodic_return")


def iterations_per_episode(config_yaml):
    """ceil(env.episode_slots / train.rollout_steps) from a run's config.yaml
    (each key appears once there; the two lines are read, no YAML parser)."""
    found = {}
    with open(config_yaml) as f:
        for line in f:
            m = re.match(r"\s+(episode_slots|rollout_steps):\s*(\d+)", line)
            if m and m.group(1) not in found:
                found[m.group(1)] = int(m.group(2))
    return -(-found["episode_slots"] // found["rollout_steps"])


def read_curve(metrics_csv, metric="reward_per_step", window=1):
    """(steps, values) of charts/<metric> in a run's metrics.csv. Episodic
    returns only from iterations in which episodes finished (the logged value
    changed); empty and NaN cells are skipped. window > 1: each value is the
    mean of the last `window` logged values, from the window-th on."""
    steps, values = [], []
    with open(metrics_csv) as f:
        last = None
        for row in csv.DictReader(f):
            v = row.get("charts/" + metric, "")
            if v in ("", "nan"):
                continue
            if metric == "episodic_return":
                if v == last:
                    continue  # no episode ended in this iteration
                last = v
            steps.append(int(float(row["global_step"])))
            values.append(float(v))
    if window > 1:
        steps = steps[window - 1:]
        values = [statistics.mean(values[k - window + 1:k + 1]) for k in range(window - 1, len(values))]
    return steps, values


def smoothed(returns, window=WINDOW):
    """Trailing mean over the last `window` values (fewer at the start)."""
    return [statistics.mean(returns[max(0, k - window + 1):k + 1]) for k in range(len(returns))]


def final_return(returns):
    tail = max(1, len(returns) // 5)
    return statistics.mean(returns[-tail:])


def steps_to_95(steps, returns):
    """(steps to 95 % of the improvement, final return); NaNs below 5 points."""
    if len(returns) < WINDOW:
        return float("nan"), float("nan")
    sm = smoothed(returns)
    final, start = final_return(returns), sm[0]
    for s, v in zip(steps, sm):
        if final == start or (v - start) / (final - start) >= 0.95:
            return s, final
    return steps[-1], final


def steps_to_reach(steps, returns, target):
    """First step at which the smoothed curve is >= target; inf if never."""
    for s, v in zip(steps, smoothed(returns)):
        if v >= target:
            return s
    return math.inf


def speed_and_final(curves, agent, reference="ppo_lag"):
    """curves: {(agent, seed): (steps, returns)}. Judges `agent` against
    `reference` at one N. Returns a dict: target (reference's median final
    return), steps (agent, reference: medians of steps to reach the target),
    ratio, finals (medians), speed_ok, final_ok; None if a side has no runs."""
    def side(name):
        return [c for (a, _), c in sorted(curves.items()) if a == name and len(c[1]) > 0]
    mine, ref = side(agent), side(reference)
    if not mine or not ref:
        return None
    target = statistics.median(final_return(r) for _, r in ref)
    steps_mine = statistics.median(steps_to_reach(s, r, target) for s, r in mine)
    steps_ref = statistics.median(steps_to_reach(s, r, target) for s, r in ref)
    final_mine = statistics.median(final_return(r) for _, r in mine)
    ratio = steps_mine / steps_ref if steps_ref not in (0, math.inf) else math.nan
    return {"target": target, "steps": (steps_mine, steps_ref), "ratio": ratio, "finals": (final_mine, target),
            "speed_ok": ratio <= SPEED_RATIO, "final_ok": final_mine >= target}


def seeds_meeting(satisfied):
    """satisfied: {seed: bool}, every constraint met at one N. (met, of)."""
    return sum(1 for ok in satisfied.values() if ok), len(satisfied)


def fmt_steps(s):
    return "never" if s == math.inf else f"{s:.0f}"


def verdict_lines(n, curves, satisfied, agents, reference="ppo_lag"):
    """Markdown for one N: the speed/final verdict of every agent against the
    reference, and the constraint verdict of every agent.
    satisfied: {(agent, seed): bool} from the deterministic evaluations."""
    lines = [f"### targets at N = {n} (issue 16; medians over seeds)", "",
             f"| agent | median final return | median steps to reach {reference}'s final return | "
             f"ratio to {reference} (target <= {SPEED_RATIO}) | final >= {reference}'s | seeds meeting all three |",
             "|---|---|---|---|---|---|"]
    for agent in agents:
        met, of = seeds_meeting({s: ok for (a, s), ok in satisfied.items() if a == agent})
        cons = f"{met} of {of}" + ("" if met == of and of > 0 else " (**no**)")
        v = speed_and_final(curves, agent, reference)
        if v is None:
            lines.append(f"| {agent} | - | - | - | - | {cons} |")
            continue
        if agent == reference:
            lines.append(f"| {agent} | {v['finals'][0]:.2f} | {fmt_steps(v['steps'][1])} | 1 (reference) | - | {cons} |")
            continue
        ratio = "-" if math.isnan(v["ratio"]) else f"{v['ratio']:.2f}"
        lines.append(f"| {agent} | {v['finals'][0]:.2f} | {fmt_steps(v['steps'][0])} | "
                     f"{ratio} ({'yes' if v['speed_ok'] else '**no**'}) | "
                     f"{'yes' if v['final_ok'] else '**no**'} | {cons} |")
    return lines + [""]
