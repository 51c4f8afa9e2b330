"""Evaluations and sweeps: latency CDFs and p50/p95/p99 bars per policy at
each N with the constraint verdicts (from `mecrl eval --json --samples`), and
the uncertainty sweeps drawn as seed 001's figures (mean delay and accuracy
against N at fixed tau, and against tau at fixed N, from `mecrl sweep`)."""
import os
from collections import defaultdict

import matplotlib.pyplot as plt
from matplotlib.patches import Patch
import numpy as np
import yaml

from inputs import agent_name
from plotting import Section, Table, colour, fmt, policy_order, save, slug

# Per scenario: the per-item sample column, the percentile metrics of the
# eval JSON, the axis label, and the constraints (satisfied_<name>, cost_<name>).
LATENCY = {
    "offload": ("latency_s", ["latency_p50_s", "latency_p95_s", "latency_p99_s"], "end-to-end latency (s)",
                "latency_mean_s", ["energy", "accuracy", "hallucination"]),
    "uncertainty": ("delay_ms", ["delay_p50_ms", "delay_p95_ms", None], "delay per user (ms)", "delay_ms",
                    ["accuracy"]),
}
QUANTILES = (0.50, 0.95, 0.99)
AXIS_NAMES = {"env.num_users": "number of users N", "env.tau": "uncertainty threshold τ"}
SYMBOLS = {"env.num_users": "N", "env.tau": "τ"}


def policy_label(text):
    """A sweep's policy column: a baseline name, or a checkpoint path ->
    'learned <agent>' from the run's config.yaml (the run folder's name if
    it has none)."""
    if "/" not in text:
        return text
    parts = os.path.normpath(text).split(os.sep)
    run = os.sep.join(parts[:parts.index("checkpoints")]) if "checkpoints" in parts else text
    try:
        with open(os.path.join(run, "config.yaml")) as f:
            return "learned " + agent_name(yaml.safe_load(f))
    except (OSError, yaml.YAMLError, AttributeError):
        return "learned " + os.path.basename(run).split("__")[0]


def _verdict(evals, name):
    got = [e.metrics.get(f"satisfied_{name}") for e in evals]
    got = [g for g in got if g is not None and g == g]
    if not got:
        return "-"
    ok = sum(1 for g in got if g > 0)
    return "✓" if ok == len(got) else "✗" if ok == 0 else f"{ok}/{len(got)}"


def _percentiles(evals, keys, sample_col):
    """[p50, p95, p99] (mean over the evaluations) and [min, max] per quantile."""
    per = []
    for e in evals:
        s = e.samples.get(sample_col)
        row = []
        for q, k in zip(QUANTILES, keys):
            v = e.metrics.get(k) if k else None
            if (v is None or v != v) and s is not None and len(s):
                v = float(np.quantile(s, q))  # numpy's linear rule, as core/stats.h
            row.append(np.nan if v is None else v)
        per.append(row)
    a = np.array(per, dtype=float)
    return np.nanmean(a, axis=0), np.nanmin(a, axis=0), np.nanmax(a, axis=0)


def latency(evals, out_dir):
    sec = Section("Latency per policy",
                  "Left: empirical CDF of every completed query's latency (pooled over the evaluations of a "
                  "policy, e.g. its training seeds). Right: p50/p95/p99 (mean over evaluations, whiskers: "
                  "min to max); under each policy its constraint verdicts: E energy, A accuracy, H hallucination "
                  "(offload) or A accuracy (uncertainty); ✓ met, ✗ violated, k/n: met in k of n evaluations.")
    groups = defaultdict(lambda: defaultdict(list))
    for e in evals:
        if e.scenario in LATENCY:
            groups[(e.scenario, e.num_users)][e.policy].append(e)
    for (scenario, users), by_policy in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        sample_col, keys, xlabel, mean_key, constraints = LATENCY[scenario]
        names = policy_order(by_policy)
        has_samples = any(sample_col in e.samples and len(e.samples[sample_col]) for evs in by_policy.values()
                          for e in evs)
        bars_w = max(3.6, 0.95 * len(names))  # room for each policy's name and verdicts
        if has_samples:
            fig, (ax, bx) = plt.subplots(1, 2, figsize=(3.6 + bars_w, 2.9),
                                         gridspec_kw={"width_ratios": [3.6, bars_w]})
        else:
            fig, bx = plt.subplots(1, 1, figsize=(bars_w, 2.9))
            sec.notes.append(f"{scenario}, N = {users}: no samples (run `mecrl eval --samples FILE`), no CDF")
        unit = sample_col.rsplit("_", 1)[1]
        table = Table(f"{scenario}, N = {users}",
                      ["policy", "evals"] + [f"{q} ({unit})" for q in ("mean", "p50", "p95", "p99")] +
                      [f"{c} cost" for c in constraints] + constraints, [])
        width = 0.8 / len(QUANTILES)
        for k, name in enumerate(names):
            evs = by_policy[name]
            c = colour(name)
            pooled = [e.samples[sample_col] for e in evs if sample_col in e.samples]
            s = np.sort(np.concatenate(pooled)) if pooled else np.array([])
            if len(s):
                ax.step(s, np.arange(1, len(s) + 1) / len(s), where="post", color=c, label=name)
            mean, lo, hi = _percentiles(evs, keys, sample_col)
            for q in range(len(QUANTILES)):
                if np.isfinite(mean[q]):
                    bx.bar(k + (q - 1) * width, mean[q], width, color=c, alpha=(0.45, 0.7, 0.95)[q],
                           yerr=[[mean[q] - lo[q]], [hi[q] - mean[q]]] if len(evs) > 1 else None,
                           edgecolor="black", linewidth=0.3)
            costs = [fmt(np.nanmean([e.metrics.get(f"cost_{cn}", np.nan) for e in evs])) for cn in constraints]
            table.rows.append([name, str(len(evs)), fmt(np.nanmean([e.metrics.get(mean_key, np.nan) for e in evs])),
                               fmt(mean[0]), fmt(mean[1]), fmt(mean[2])] + costs +
                              [_verdict(evs, cn) for cn in constraints])
        verdicts = [" ".join(f"{cn[0].upper()}{_verdict(by_policy[n], cn)}" for cn in constraints) for n in names]
        bx.set_xticks(range(len(names)), [f"{n}\n{v}" for n, v in zip(names, verdicts)], fontsize=6)
        bx.set_ylabel(xlabel)
        bx.legend(handles=[Patch(facecolor="grey", alpha=a, edgecolor="black", linewidth=0.3,
                                 label=f"p{int(q * 100)}") for q, a in zip(QUANTILES, (0.45, 0.7, 0.95))],
                  loc="upper left")
        if has_samples:
            lo_x = min(line.get_xdata()[0] for line in ax.get_lines())
            hi_x = max(line.get_xdata()[-1] for line in ax.get_lines())
            if lo_x > 0 and hi_x / lo_x > 100:
                ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("fraction of queries")
            ax.legend(loc="lower right")
        fig.suptitle(f"{scenario}, N = {users}")
        fig.tight_layout()
        sec.figures.append(save(fig, out_dir, f"latency_{slug(scenario)}_N{users}",
                                f"{scenario}, N = {users}: latency CDF and percentiles per policy"))
        sec.tables.append(table)
    return sec


def _metric_pairs(sweep):
    cols = set(sweep.rows[0])
    if "delay_ms" in cols:
        return [("delay_ms", "mean delay (ms)"), ("accuracy_pct", "accuracy (%)")]
    return [("latency_mean_s", "mean latency (s)"), ("accuracy", "accuracy")]


def sweeps(sweep_list, out_dir):
    sec = Section("Parameter sweeps",
                  "As seed 001's figures: each metric against one grid axis with the other axes held "
                  "(whiskers: ± one standard error over snapshots).")
    for sw in sweep_list:
        base = slug(os.path.splitext(os.path.basename(sw.path))[0])
        for axis in sw.axes:
            if len({r[axis] for r in sw.rows}) < 2:
                continue
            others = [a for a in sw.axes if a != axis]
            fixed_sets = sorted({tuple(r[a] for a in others) for r in sw.rows})
            for fixed in fixed_sets:
                rows = [r for r in sw.rows if tuple(r[a] for a in others) == fixed]
                held = ", ".join(f"{SYMBOLS.get(a, a)} = {fmt(v)}" for a, v in zip(others, fixed))
                pairs = _metric_pairs(sw)
                fig, axes = plt.subplots(1, len(pairs), figsize=(3.5 * len(pairs), 2.6))
                by_policy = defaultdict(list)
                for r in rows:
                    by_policy[policy_label(r["policy"])].append(r)
                for ax, (key, label) in zip(axes, pairs):
                    for name in policy_order(by_policy):
                        pts = sorted(by_policy[name], key=lambda r: r[axis])
                        x = [r[axis] for r in pts]
                        y = [r.get(key, np.nan) for r in pts]
                        se = [r.get(key + "_se", np.nan) for r in pts]
                        ax.errorbar(x, y, yerr=None if all(v != v for v in se) else np.nan_to_num(se),
                                    marker="o", markersize=3, capsize=2, color=colour(name), label=name)
                    ax.set_xlabel(AXIS_NAMES.get(axis, axis))
                    ax.set_ylabel(label)
                axes[0].legend(loc="best")
                fig.suptitle(f"against {AXIS_NAMES.get(axis, axis)}" + (f" ({held})" if held else ""))
                fig.tight_layout()
                stem = f"sweep_{base}_{slug(axis)}" + (f"_{slug(held)}" if len(fixed_sets) > 1 else "")
                sec.figures.append(save(fig, out_dir, stem, f"{os.path.basename(sw.path)}: "
                                        f"{' and '.join(lbl for _, lbl in pairs)} against "
                                        f"{AXIS_NAMES.get(axis, axis)}" + (f" at {held}" if held else "")))
        if not any(len({r[a] for r in sw.rows}) > 1 for a in sw.axes):
            sec.notes.append(f"{sw.path}: a single grid point, nothing to draw against")
        pairs = _metric_pairs(sw)
        sec.tables.append(Table(os.path.basename(sw.path), sw.axes + ["policy"] + [lbl for _, lbl in pairs],
                                [[fmt(r[a]) for a in sw.axes] + [policy_label(r["policy"])] +
                                 [fmt(r.get(k)) for k, _ in pairs] for r in sw.rows]))
    return sec
