"""scripts/study_targets.py against curves whose figures follow by hand.

A step curve: return `lo` for the first `jump` logged episodes, then `hi`.
With a 5-episode trailing mean, the smoothed curve first reaches `hi` at
index jump + 4 (the first window holding only `hi`), and lies strictly
between lo and hi for indices jump .. jump + 3. Logged steps are 1000 (k + 1).
Standard library only."""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("MECRL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                                "scripts"))
import study_targets as st  # noqa: E402

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)


def step_curve(jump, lo=-100.0, hi=-50.0, length=40):
    steps = [1000 * (k + 1) for k in range(length)]
    return steps, [lo if k < jump else hi for k in range(length)]


# Smoothing and the single-run figures.
s, r = step_curve(10)
check(st.smoothed([1, 2, 3, 4, 5, 6]) == [1, 1.5, 2, 2.5, 3, 4], "trailing mean over 5")
check(st.final_return(r) == -50.0, "final = mean of the last 20 % (all hi)")
check(st.final_return([0, 0, 0, 0, 0, 0, 0, 0, -1, -3]) == -2.0, "final of 10 points = mean of the last 2")
check(st.steps_to_reach(s, r, -50.0) == 15000, "reaches hi at index jump + 4 = 14 -> step 15000")
check(st.steps_to_reach(s, r, -90.0) == 11000, "(4 lo + 1 hi) / 5 = -90 at index 10 -> step 11000")
check(st.steps_to_reach(s, r, -49.0) == math.inf, "never above hi")
# 95 % of the way from -100 to -50 is -52.5: only the all-hi window (index 14) gets there.
check(st.steps_to_95(s, r) == (15000, -50.0), "steps to 95 % of the improvement")
check(all(math.isnan(v) for v in st.steps_to_95([1, 2], [0.0, 1.0])), "fewer than 5 points: NaN")

# A study at one N (a jump at j reaches hi at step 1000 (j + 5)): 5 PPO seeds jumping at 10, 12, 14, 16,
# 18 (15k, 17k, 19k, 21k, 23k; median 19k); WM seeds jumping at 5, 6, 7, 8, 30 (10k, 11k, 12k, 13k, 35k;
# median 12k).
curves = {("ppo_lag", k + 1): step_curve(j) for k, j in enumerate([10, 12, 14, 16, 18])}
curves.update({("wm_ppo_lag", k + 1): step_curve(j) for k, j in enumerate([5, 6, 7, 8, 30])})
v = st.speed_and_final(curves, "wm_ppo_lag")
check(v["target"] == -50.0, "target = PPO's median final return")
check(v["steps"] == (12000, 19000), f"median steps to reach: {v['steps']}")
check(abs(v["ratio"] - 12 / 19) < 1e-12 and v["speed_ok"], "12/19 = 0.63 <= 0.67")
check(v["final_ok"], "equal final returns pass 'no lower'")

# One WM seed ends lower: final -60 for seed 5; the median final stays -50 (three of five at hi).
lower = dict(curves)
lower[("wm_ppo_lag", 5)] = step_curve(30, hi=-60.0)
check(st.speed_and_final(lower, "wm_ppo_lag")["final_ok"], "median final unchanged by one low seed")
# Three WM seeds end at -60: they never reach -50 (inf); median steps inf, ratio inf, both verdicts fail.
worse = dict(curves)
for seed in (1, 2, 3):
    worse[("wm_ppo_lag", seed)] = step_curve(5, hi=-60.0)
w = st.speed_and_final(worse, "wm_ppo_lag")
check(w["steps"][0] == math.inf and not w["speed_ok"] and not w["final_ok"], f"three low seeds: {w}")
# Slower WM: jumps at 9, 10, 11, 12, 13 -> reach at 14k..18k, median 16k; 16/19 = 0.84 > 0.67.
slow = {k: c for k, c in curves.items() if k[0] == "ppo_lag"}
slow.update({("wm_ppo_lag", k + 1): step_curve(j) for k, j in enumerate([9, 10, 11, 12, 13])})
sv = st.speed_and_final(slow, "wm_ppo_lag")
check(sv["steps"][0] == 16000 and not sv["speed_ok"] and sv["final_ok"], f"slower WM: {sv}")
check(st.speed_and_final(curves, "cell_ppo") is None, "no runs of an agent: None")

# Constraint verdicts and the Markdown.
check(st.seeds_meeting({1: True, 2: False, 3: True}) == (2, 3), "2 of 3 seeds")
sat = {("ppo_lag", s): True for s in range(1, 6)}
sat.update({("wm_ppo_lag", s): s != 4 for s in range(1, 6)})
md = "\n".join(st.verdict_lines(100, curves, sat, ["ppo_lag", "wm_ppo_lag"]))
check("| ppo_lag | -50.00 | 19000 | 1 (reference) | - | 5 of 5 |" in md, "reference row:\n" + md)
check("| wm_ppo_lag | -50.00 | 12000 | 0.63 (yes) | yes | 4 of 5 (**no**) |" in md, "WM row:\n" + md)

# read_curve on a metrics.csv written here: the reward per slot from every row (NaN and empty cells
# skipped), the episodic return only where it changed (an episode ended in that iteration).
import tempfile  # noqa: E402
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "metrics.csv")
    with open(path, "w") as f:
        f.write("global_step,charts/episodic_return,charts/reward_per_step,losses/value_loss\n"
                "512,nan,-0.50,1\n"
                "1024,-450.5,-0.40,1\n"
                "1536,-450.5,,1\n"
                "2048,-430,-0.30,1\n"
                "2.56e3,-430,-0.25,1\n")
    check(st.read_curve(path) == ([512, 1024, 2048, 2560], [-0.5, -0.4, -0.3, -0.25]),
          f"reward per step: {st.read_curve(path)}")
    check(st.read_curve(path, "episodic_return") == ([1024, 2048], [-450.5, -430.0]),
          f"episodic returns: {st.read_curve(path, 'episodic_return')}")
    # A window of 2: the mean of each value and the one before, from the second on (-0.45, -0.35, -0.275).
    ws, wv = st.read_curve(path, window=2)
    check(ws == [1024, 2048, 2560] and all(abs(a - b) < 1e-12 for a, b in zip(wv, [-0.45, -0.35, -0.275])),
          f"window 2: {ws} {wv}")

    # Envs in step: an iteration's reward follows the episode phase (period 4 iterations: -1, -2, -3, -2
    # around a level that improves by 0.5 after iteration 8). Averaged over one episode's iterations the
    # phase cancels: flat at -2 until the window reaches the change, then steps of 1/8 up to -1.5.
    phase = [-1.0, -2.0, -3.0, -2.0]
    with open(path, "w") as f:
        f.write("global_step,charts/reward_per_step\n")
        for k in range(16):
            f.write(f"{128 * (k + 1)},{phase[k % 4] + (0.5 if k >= 8 else 0.0)}\n")
    ps, pv = st.read_curve(path, window=4)
    want = [-2.0] * 5 + [-1.875, -1.75, -1.625] + [-1.5] * 5
    check(ps == [128 * (k + 1) for k in range(3, 16)], f"phase-averaged steps: {ps}")
    check(len(pv) == len(want) and all(abs(a - b) < 1e-12 for a, b in zip(pv, want)), f"phase-averaged: {pv}")

    # iterations_per_episode: ceil(episode_slots / rollout_steps) from a config.yaml as `mecrl train` writes it.
    cfg = os.path.join(tmp, "config.yaml")
    with open(cfg, "w") as f:
        f.write("env:\n  area_m: 500  # side\n  episode_slots: 2400  # slots per training episode T\n"
                "ppo:\n  gamma: 0.995\ntrain:\n  num_envs: 16\n  rollout_steps: 128  # steps per env\n")
    check(st.iterations_per_episode(cfg) == 19, "2400 / 128 = 18.75 -> 19")

if FAILS:
    print("\n".join("FAIL: " + f for f in FAILS))
    sys.exit(1)
print("study_targets: all checks passed")
