#!/usr/bin/env python3
"""The offload study of issue 3: train PPO-Lagrangian and world-model PPO
(several seeds) at each population, evaluate every trained policy and every
baseline with the eval protocol, and print Markdown tables.

    scripts/study_offload.py --users 100 200 --seeds 1 2 3 --steps 300000 --out study/
    scripts/study_offload.py --users --general 50 100 150 200 --seeds 1 2 3 --out study/   # general policy only

--general N...: also train one PPO-Lagrangian policy per seed on all these
populations at once (train.num_users, envs/population_env.h) and evaluate
each checkpoint at every one of them against `offload` (the one baseline
that meets the constraints); --set key=value passes overrides to every
training run (e.g. train.exploration_floor=0.05).

Everything goes through ./mecrl (train, eval --json --samples) and lands in
the layout `./mecrl report <out> --out <report>` reads (scripts/report/inputs.py):
    <out>/runs/N<n>_<agent>_s<seed>__<seed>__<time>/   training runs
    <out>/eval/<label>__N<n>[__s<seed>].json            `mecrl eval --json` (policy = the label)
    <out>/eval/<label>__N<n>[__s<seed>].samples.csv     every completed query's latency and TTFT
    <out>/runs/general_ppo_lag_s<seed>__<seed>__<time>/  the population-general runs
    <out>/study.md                                      the tables below
Standard library only.

Convergence speed and the verdicts against issue 16's targets (WM-PPO
reaches PPO's final return in <= 0.67x PPO's steps with a final return no
lower; every seed meets all three constraints; the general policy meets them
and beats `offload` at every N): scripts/study_targets.py defines each figure.
"""
import argparse
import json
import os
import subprocess
import sys

import study_targets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MECRL = os.environ.get("MECRL_BIN", os.path.join(ROOT, "mecrl"))  # e.g. a copy, while you rebuild
BASELINES = ["local", "offload", "random", "complexity", "greedy", "goa"]
AGENTS = {"ppo_lag": "configs/offload_ppo.yaml", "wm_ppo_lag": "configs/offload_wmppo.yaml"}
GENERAL = "configs/offload_ppo_general.yaml"  # PPO-Lag over several populations (its margin; CPU unless --set)
KEYS = ["latency_mean_s", "latency_p95_s", "accuracy", "hallucination", "device_power_w",
        "offload_fraction", "satisfied_energy", "satisfied_accuracy", "satisfied_hallucination", "satisfied_all"]


def write_atomic(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def run(cmd, log=None):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    if log:
        write_atomic(log, out.stdout)
    return out.stdout


def evaluate(policy, label, tag, users, episodes, extra, out):
    """Evaluates one policy; keeps its JSON and per-query samples under <out>/eval/<tag>.*"""
    base = os.path.join(out, "eval", tag)
    cmd = [MECRL, "eval", "--config", "configs/offload.yaml", "--policy", policy, "--label", label,
           "--episodes", str(episodes), f"env.num_users={users}", "--json", "--samples", base + ".samples.csv"] + extra
    text = run(cmd)
    write_atomic(base + ".json", text)
    return json.loads(text)["metrics"]


def fmt(v, key):
    if v is None:
        return "-"
    if key.startswith("satisfied"):
        return "yes" if v > 0 else "**no**"
    return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, nargs="*", default=[100, 200])
    ap.add_argument("--general", type=int, nargs="*", default=[],
                    help="populations of the general policy (train.num_users), each also an eval N")
    ap.add_argument("--set", nargs="*", default=[], help="key=value overrides for every training run")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--steps", type=int, default=300000)
    ap.add_argument("--episodes", type=int, default=32, help="eval episodes (2400 slots each)")
    ap.add_argument("--agents", nargs="+", default=list(AGENTS))
    ap.add_argument("--out", default="study")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--curve", choices=study_targets.CURVES, default="reward_per_step",
                    help="what the convergence figures read (scripts/study_targets.py says why)")
    ap.add_argument("--skip-train", action="store_true", help="reuse <out>/runs")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "eval"), exist_ok=True)
    lines = ["# offload study", "", f"steps per run: {args.steps}; eval: {args.episodes} episodes x 2400 slots "
             "(first 480 excluded); trained policies evaluated deterministically (argmax) and sampled.", ""]
    for n in args.users or []:
        rows = {}
        for b in BASELINES:
            rows[b] = evaluate(b, b, f"{b}__N{n}", n, args.episodes, [], out)
        conv, curves, satisfied = {}, {}, {}
        for agent in args.agents:
            for seed in args.seeds:
                name = f"N{n}_{agent}_s{seed}"
                runs = os.path.join(out, "runs")
                if not args.skip_train:
                    run([MECRL, "train", "--config", AGENTS[agent], f"env.num_users={n}", f"seed={seed}",
                         f"train.total_steps={args.steps}", f"train.runs_dir={runs}", f"train.name={name}",
                         f"threads={args.threads}"] + args.set, log=os.path.join(out, f"{name}.log"))
                run_dir = sorted(d for d in os.listdir(runs) if d.startswith(name + "__"))[-1]
                run_dir = os.path.join(runs, run_dir)
                window = (study_targets.iterations_per_episode(os.path.join(run_dir, "config.yaml"))
                          if args.curve == "reward_per_step" else 1)
                curves[(agent, seed)] = study_targets.read_curve(os.path.join(run_dir, "metrics.csv"), args.curve,
                                                                 window)
                conv[(agent, seed)] = study_targets.steps_to_95(*curves[(agent, seed)])
                ckpt = os.path.join(run_dir, "checkpoints", "last")
                for mode, extra in (("argmax", []), ("sampled", ["eval.deterministic=false"])):
                    m = evaluate(ckpt, f"{agent} {mode}", f"{agent}_{mode}__N{n}__s{seed}", n, args.episodes,
                                 extra, out)
                    rows[f"{agent} s{seed} {mode}"] = m
                    if mode == "argmax":
                        satisfied[(agent, seed)] = m.get("satisfied_all", 0) > 0
        lines += [f"## N = {n}", "", "| policy | " + " | ".join(KEYS) + " |", "|---" * (len(KEYS) + 1) + "|"]
        for name, m in rows.items():
            lines.append(f"| {name} | " + " | ".join(fmt(m.get(k), k) for k in KEYS) + " |")
        lines += ["", f"Convergence read from `charts/{args.curve}`" +
                  (" (each point: the mean over the last episode's iterations)." if args.curve == "reward_per_step"
                   else "."), "",
                  "| agent | seed | steps to 95 % of final return | final return |", "|---|---|---|---|"]
        for (agent, seed), (s, f) in conv.items():
            lines.append(f"| {agent} | {seed} | {s} | {f:.2f} |")
        lines.append("")
        lines += study_targets.verdict_lines(n, curves, satisfied, args.agents)
        write_atomic(os.path.join(out, "study.md"), "\n".join(lines))
    if args.general:
        lines += general_policy(args, out)
        write_atomic(os.path.join(out, "study.md"), "\n".join(lines))
    print("\n".join(lines))


def general_policy(args, out):
    """One checkpoint per seed trained on every N of --general, evaluated at each."""
    runs = os.path.join(out, "runs")
    users = "[" + ", ".join(str(n) for n in args.general) + "]"
    ckpts = {}
    for seed in args.seeds:
        name = f"general_ppo_lag_s{seed}"
        if not args.skip_train:
            run([MECRL, "train", "--config", GENERAL, f"train.num_users={users}",
                 f"env.num_users={max(args.general)}", f"seed={seed}", f"train.total_steps={args.steps}",
                 f"train.runs_dir={runs}", f"train.name={name}", f"threads={args.threads}"]
                + args.set, log=os.path.join(out, f"{name}.log"))
        run_dir = sorted(d for d in os.listdir(runs) if d.startswith(name + "__"))[-1]
        ckpts[seed] = os.path.join(runs, run_dir, "checkpoints", "last")
    keys = ["latency_mean_s", "accuracy", "hallucination", "satisfied_energy", "satisfied_accuracy",
            "satisfied_hallucination", "satisfied_all"]
    lines = [f"## one policy for every population: trained on N in {users}", "",
             "| N | policy | " + " | ".join(keys) + " | beats offload |", "|---" * (len(keys) + 3) + "|"]
    wins_everywhere = {seed: True for seed in ckpts}
    for n in args.general:
        ref = evaluate("offload", "offload", f"offload__N{n}", n, args.episodes, [], out)
        lines.append(f"| {n} | offload | " + " | ".join(fmt(ref.get(k), k) for k in keys) + " | - |")
        for seed, ckpt in ckpts.items():
            m = evaluate(ckpt, "general ppo_lag argmax", f"general_ppo_lag_argmax__N{n}__s{seed}", n,
                         args.episodes, [], out)
            wins = m.get("satisfied_all", 0) > 0 and m["latency_mean_s"] < ref["latency_mean_s"]
            wins_everywhere[seed] &= wins
            lines.append(f"| {n} | general s{seed} | " + " | ".join(fmt(m.get(k), k) for k in keys) +
                         f" | {'yes' if wins else '**no**'} |")
    met, of = study_targets.seeds_meeting(wins_everywhere)
    return lines + ["", f"Target (issue 16): each seed meets all three constraints and beats `offload` at every N: "
                        f"{met} of {of} seeds" + ("" if met == of else " (**not met**)"), ""]


if __name__ == "__main__":
    main()
