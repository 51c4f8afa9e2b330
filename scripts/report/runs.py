"""Training runs: learning curves (mean and band over seeds) against
cell-slots and wall time, and the convergence of world-model PPO vs PPO
(cell-slots until the return first reaches a common level).

Wall time is the trainer's own clock: the sum over iterations of
(global_step increment) / charts/SPS, i.e. the time spent in iterations,
without checkpoint writes; it continues across a resumed run.
"""
from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

from plotting import Section, Table, colour, fmt, policy_order, save, slug

RETURN = "charts/episodic_return"
# (column, axis label) of the scenario's mean latency, when the run logs one.
LATENCY = [("mec/latency_mean_s", "mean latency (s)"), ("mec/delay_mean_ms", "mean delay (ms)")]
SMOOTH = 5          # logged points in the moving average of the convergence curves
FINAL_SHARE = 0.2   # last share of a curve averaged into its final return


def wall_time(run):
    c = run.columns
    if "charts/SPS" not in c:
        return None
    steps = c["global_step"]
    inc = np.diff(steps, prepend=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dt = np.where(c["charts/SPS"] > 0, inc / c["charts/SPS"], 0.0)
    return np.cumsum(np.nan_to_num(dt))


def _xy(run, column, x_kind):
    x = run.columns["global_step"] if x_kind == "steps" else wall_time(run)
    y = run.columns.get(column)
    if x is None or y is None:
        return None
    ok = np.isfinite(y) & np.isfinite(x)
    return (x[ok], y[ok]) if ok.sum() >= 1 else None


def band(runs, column, x_kind, points=200):
    """(x, mean, mean - sd, mean + sd, seeds) on the x range every seed covers."""
    return band_of([c for c in (_xy(r, column, x_kind) for r in runs) if c is not None], points)


def band_of(curves, points=200):
    """band() of (x, y) curves: interpolated onto a common grid where there are several."""
    if not curves:
        return None
    lo = max(x[0] for x, _ in curves)
    hi = min(x[-1] for x, _ in curves)
    if len(curves) == 1 or hi <= lo:
        x, y = max(curves, key=lambda c: len(c[0]))
        return x, y, y, y, 1
    grid = np.linspace(lo, hi, points)
    ys = np.array([np.interp(grid, x, y) for x, y in curves])
    m, sd = ys.mean(axis=0), ys.std(axis=0)
    return grid, m, m - sd, m + sd, len(curves)


def _groups(runs):
    g = defaultdict(list)
    for r in runs:
        g[(r.scenario, r.num_users)].append(r)
    return g


def _group_title(scenario, users):
    return f"{scenario}, N = {users}" if users is not None else scenario


def _panels(runs):
    cols = set().union(*(r.columns.keys() for r in runs))
    panels = [(RETURN, "episodic return", None)]
    panels += [(c, label, None) for c, label in LATENCY if c in cols]
    costs = sorted(c[len("constraints/cost_"):] for c in cols if c.startswith("constraints/cost_"))
    panels += [(f"constraints/cost_{k}", f"cost_{k} per step", f"constraints/lambda_{k}") for k in costs]
    return panels


def _labelled(ax):
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def learning_curves(runs, out_dir):
    sec = Section("Learning curves",
                  "Mean over seeds (line) and one standard deviation (band), against cell-slots (env steps "
                  "summed over parallel envs) and against the trainer's wall time. Cost panels show the mean "
                  "per-step cost (solid, left axis) and its Lagrange multiplier λ (dashed, right axis).")
    for (scenario, users), group in sorted(_groups(runs).items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        agents = defaultdict(list)
        for r in group:
            agents[r.agent].append(r)
        panels = _panels(group)
        cols = min(3, len(panels))
        rows = (len(panels) + cols - 1) // cols
        for x_kind, x_label in (("steps", "cell-slots"), ("wall", "wall time (s)")):
            if x_kind == "wall" and all(wall_time(r) is None for r in group):
                continue
            fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.2 * rows), squeeze=False)
            for ax in axes.flat[len(panels):]:
                ax.set_axis_off()
            for ax, (col, label, lam) in zip(axes.flat, panels):
                twin = ax.twinx() if lam else None
                if lam:  # the constraint holds where the mean cost is <= 0
                    ax.axhline(0, color="black", linewidth=0.6)
                for agent in policy_order(agents):
                    b = band(agents[agent], col, x_kind)
                    if b is None:
                        continue
                    x, m, lo, hi, n = b
                    c = colour(agent)
                    ax.plot(x, m, color=c, label=f"{agent} ({n} seed{'s' if n > 1 else ''})")
                    if n > 1:
                        ax.fill_between(x, lo, hi, color=c, alpha=0.2, linewidth=0)
                    if twin is not None:
                        lb = band(agents[agent], lam, x_kind)
                        if lb is not None:
                            twin.plot(lb[0], lb[1], color=c, linestyle="--", label=f"λ {agent}")
                ax.set_xlabel(x_label)
                ax.set_ylabel(label)
                if twin is not None:
                    twin.set_ylabel(f"λ_{col.split('cost_')[1]}")
                    twin.grid(False)
            if not any(_labelled(ax) for ax in axes.flat):
                plt.close(fig)
                sec.notes.append(f"{_group_title(scenario, users)}: nothing logged yet (no finished iteration)")
                break
            handles, labels = axes.flat[0].get_legend_handles_labels()
            if handles:
                axes.flat[0].legend(handles, labels, loc="best")
            else:  # no episode finished yet: name the agents in the first panel that has lines
                first = next(ax for ax in axes.flat if _labelled(ax))
                first.legend(loc="best")
            fig.suptitle(_group_title(scenario, users))
            fig.tight_layout()
            stem = f"curves_{slug(scenario)}_N{users}_{x_kind}"
            sec.figures.append(save(fig, out_dir, stem,
                                    f"{_group_title(scenario, users)}: learning curves against {x_label}"))
    return sec


def _smoothed(run):
    xy = _xy(run, RETURN, "steps")
    if xy is None or len(xy[1]) == 0:
        return None
    x, y = xy
    k = np.ones(min(SMOOTH, len(y)))
    s = np.convolve(y, k, mode="full")[:len(y)] / np.convolve(np.ones_like(y), k, mode="full")[:len(y)]
    return x, s, y


def final_return(run):
    c = _smoothed(run)
    if c is None:
        return np.nan
    y = c[2]
    return float(np.mean(y[-max(1, int(len(y) * FINAL_SHARE)):]))


def steps_to_level(run, level):
    c = _smoothed(run)
    if c is None:
        return np.nan
    x, s, _ = c
    hit = np.nonzero(s >= level)[0]
    return float(x[hit[0]]) if len(hit) else np.nan


def convergence(runs, out_dir, level=None):
    sec = Section("Convergence: world-model PPO vs PPO",
                  f"Cell-slots until the return, smoothed over {SMOOTH} logged iterations, first reaches the "
                  "return level: by default the lowest of the agents' final returns (mean of the last "
                  f"{int(FINAL_SHARE * 100)} % of each curve, averaged over seeds), so every agent can reach it; "
                  "`--return-level` sets it. Bars: mean over the seeds that reached it; dots: single seeds.")
    table = Table("Steps to the return level", ["runs", "agent", "seeds", "final return", "level",
                                                 "cell-slots to level (mean)", "reached"], [])
    for (scenario, users), group in sorted(_groups(runs).items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        agents = defaultdict(list)
        for r in group:
            if _smoothed(r) is not None:
                agents[r.agent].append(r)
        if not agents:
            continue
        finals = {a: float(np.nanmean([final_return(r) for r in rs])) for a, rs in agents.items()}
        lvl = level if level is not None else min(finals.values())
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(7.0, 2.6), gridspec_kw={"width_ratios": [2, 1]})
        names = policy_order(agents)
        for k, agent in enumerate(names):
            c = colour(agent)
            b = band_of([sm[:2] for sm in map(_smoothed, agents[agent])])
            ax.plot(b[0], b[1], color=c, label=agent)
            steps = np.array([steps_to_level(r, lvl) for r in agents[agent]])
            reached = steps[np.isfinite(steps)]
            if len(reached):
                bx.bar(k, reached.mean(), color=c, alpha=0.7)
                bx.plot(np.full(len(reached), k), reached, "o", color="black", markersize=3)
            bx.text(k, 0, f"{len(reached)}/{len(steps)}", ha="center", va="bottom", fontsize=7)
            table.rows.append([_group_title(scenario, users), agent, str(len(steps)), fmt(finals[agent]), fmt(lvl),
                               fmt(reached.mean()) if len(reached) else "never", f"{len(reached)}/{len(steps)}"])
        ax.axhline(lvl, color="grey", linestyle=":", label="return level")
        ax.set_xlabel("cell-slots")
        ax.set_ylabel("episodic return (smoothed)")
        ax.legend(loc="best")
        bx.set_xticks(range(len(names)), names, rotation=20)
        bx.set_ylabel("cell-slots to level")
        fig.suptitle(_group_title(scenario, users))
        fig.tight_layout()
        sec.figures.append(save(fig, out_dir, f"convergence_{slug(scenario)}_N{users}",
                                f"{_group_title(scenario, users)}: steps to a return of {fmt(lvl)}"))
    if table.rows:
        sec.tables.append(table)
    return sec


def runs_table(runs):
    rows = []
    for r in sorted(runs, key=lambda r: r.path):
        steps = r.columns["global_step"]
        wt = wall_time(r)
        rows.append([r.path, r.scenario, r.agent, str(r.seed), fmt(r.num_users), fmt(steps[-1] if len(steps) else None),
                     fmt(wt[-1] if wt is not None and len(wt) else None), fmt(final_return(r))])
    return Table("Runs", ["folder", "scenario", "agent", "seed", "N", "cell-slots", "wall time (s)", "final return"],
                 rows)
