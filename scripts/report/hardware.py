"""The ECLD model catalogue (seeds 000/002) from `mecrl catalogue --json`,
and simulator throughput from Google Benchmark JSON (user-slots/s against
the number of envs, per N, CPU and GPU, with the memory roofline where the
benchmark reports bytes per user-slot)."""
import json
import re
import subprocess
from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

from inputs import InputError
from plotting import Section, Table, colour, fmt, save, slug

WH = 3600.0


def run_catalogue(mecrl, config, overrides):
    """The catalogue JSON from the binary (one implementation of the physics)."""
    cmd = [mecrl, "catalogue", "--config", config, "--json"] + list(overrides)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        raise InputError(f"--mecrl {mecrl}: cannot run it ({e.strerror})")
    if out.returncode != 0:
        lines = (out.stderr.strip() or out.stdout.strip() or "no output").splitlines()
        raise InputError(f"`{' '.join(cmd)}` failed: {lines[-1]}")
    return json.loads(out.stdout)


def catalogue(cat, out_dir):
    s = cat["settings"]
    sec = Section("Model catalogue (ECLD, seeds 000/002)",
                  f"Every model variant of configs/tables with the four metrics of compact models, computed "
                  f"by `mecrl catalogue` with the simulator's formulas: accessibility (a phone fits a model "
                  f"when its weights plus the KV cache of the query fit in {fmt(s['ram_fraction'])} of the "
                  f"phone's RAM; a server GPU when the KV-limited batch B_max ≥ 1), energy for a "
                  f"{fmt(s['answer_tokens'])}-token answer to a {fmt(s['prompt_tokens'])}-token prompt (phone: "
                  f"active power × local compute time; server GPU: decode power × service time at batch 1), "
                  f"hallucination rate and accuracy (class mix of the scenario).")
    models = cat["models"]
    keys = [m["key"] for m in models]
    x = np.arange(len(models))
    fig, axes = plt.subplots(2, 2, figsize=(7.2, 5.6))
    (am, ah), (ad, ag) = axes
    am.bar(x, [m["memory_gb"] for m in models], color="grey")
    for d in cat["devices"]:
        am.axhline(d["usable_gb"], linestyle="--", color=colour(d["key"]), label=f"{d['key']} usable RAM")
    am.set_ylabel("memory on a phone (GB)")
    am.set_title("accessibility")
    am.legend(loc="upper left", fontsize=6)
    for panel, where, names in ((ad, "on_device", [d["key"] for d in cat["devices"]]),
                                (ag, "on_server", [g["key"] for g in cat["gpus"]])):
        w = 0.8 / len(names)
        for k, name in enumerate(names):
            vals = [next(o for o in m[where] if o.get("device", o.get("gpu")) == name) for m in models]
            e = [o["energy_j"] / WH if o["fits"] else np.nan for o in vals]
            panel.bar(x + (k - (len(names) - 1) / 2) * w, e, w, color=colour(name), label=name)
        panel.set_yscale("log")
        panel.set_ylabel("energy per query (Wh)")
        panel.legend(loc="upper left", ncol=2, fontsize=6)
    ad.set_title("energy on phones (where it fits)")
    ag.set_title("energy on server GPUs (where it fits)")
    ah.bar(x - 0.3, [m["accuracy"]["simple"] for m in models], 0.2, label="accuracy simple", color="tab:blue",
           alpha=0.5)
    ah.bar(x - 0.1, [m["accuracy"]["complex"] for m in models], 0.2, label="accuracy complex", color="tab:blue",
           alpha=0.8)
    ah.bar(x + 0.1, [m["accuracy"]["mix"] for m in models], 0.2, label="accuracy mix", color="tab:blue")
    ah.bar(x + 0.3, [m["hallucination"] for m in models], 0.2, label="hallucination", color="tab:red")
    ah.set_ylabel("rate")
    ah.set_title("accuracy and hallucination")
    ah.legend(loc="upper left", ncol=2, fontsize=6)
    for a in (am, ah, ad, ag):
        a.set_xticks(x, keys, rotation=45, ha="right", rotation_mode="anchor", fontsize=6)
        lo, hi = a.get_ylim()  # headroom for the legend above the bars
        a.set_ylim(lo, hi * 4 if a.get_yscale() == "log" else hi * 1.45)
    fig.tight_layout()
    sec.figures.append(save(fig, out_dir, "catalogue", "The four metrics of every model variant in configs/tables"))
    dev = [d["key"] for d in cat["devices"]]
    gpu = [g["key"] for g in cat["gpus"]]
    rows = []
    for m in models:
        on_d = {o["device"]: o for o in m["on_device"]}
        on_g = {o["gpu"]: o for o in m["on_server"]}
        rows.append([m["key"], fmt(m["weights_gb"]), fmt(m["memory_gb"]),
                     ", ".join(k for k in dev if on_d[k]["fits"]) or "none",
                     fmt(m["accuracy"]["mix"]), fmt(m["hallucination"])] +
                    [fmt(on_d[k]["energy_j"] / WH) if on_d[k]["fits"] else "-" for k in dev] +
                    [fmt(on_g[k]["energy_j"] / WH) if on_g[k]["fits"] else "-" for k in gpu])
    sec.tables.append(Table("Catalogue (energy per query in Wh; - : does not fit)",
                            ["model", "weights GB", "memory GB", "fits phones", "accuracy", "hallucination"] +
                            [f"{k} Wh" for k in dev] + [f"{k} Wh" for k in gpu], rows))
    return sec


def _parse_name(name):
    parts = name.split("/")
    args = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
    return parts[0], args


def _entries(bench):
    """The runs to plot: 'mean' aggregates where repetitions made them, else plain iterations."""
    by_run = defaultdict(list)
    for b in bench.benchmarks:
        if b.get("error_occurred") or b.get("skipped"):
            continue
        by_run[b.get("run_name", b["name"])].append(b)
    out = []
    for runs in by_run.values():
        means = [b for b in runs if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "mean"]
        out += means or [b for b in runs if b.get("run_type", "iteration") == "iteration"][:1]
    return out


def _peak(backend, context, peak_bw):
    v = peak_bw.get(backend.lower())
    if v is None:
        v = context.get(f"peak_bw_gbps_{backend.lower()}")
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def throughput(benches, out_dir, peak_bw):
    sec = Section("Simulator throughput",
                  "User-slots per second against the number of parallel envs, one panel per N, CPU and GPU "
                  "backends (Google Benchmark's counters). Where a benchmark reports bytes_per_user_slot and "
                  "the peak memory bandwidth is known (`--peak-bw-gbps gpu=3350`, or the JSON context key "
                  "peak_bw_gbps_gpu / peak_bw_gbps_cpu), the dotted line is the memory roofline: peak "
                  "bandwidth / bytes per user-slot.")
    series = defaultdict(lambda: defaultdict(list))  # kind -> (backend, N) -> [(envs, rate, bytes/us, B/s, ctx)]
    table = Table("Benchmarks", ["benchmark", "backend", "envs", "N", "user-slots/s", "bytes/user-slot",
                                 "achieved GB/s", "of roofline"], [])
    for bench in benches:
        for b in _entries(bench):
            family, args = _parse_name(b["name"])
            backend = "GPU" if re.search("cuda|gpu", family, re.I) else "CPU"
            # One user-slot = one user's slot (offload) or decision (uncertainty snapshot).
            rate = b.get("user_slots", b.get("user_decisions"))
            if rate is None or "envs" not in args or "N" not in args:
                continue
            kind = re.sub(r"(Cuda|Gpu|Cpu)$", "", family.removeprefix("BM_"))
            bpus = b.get("bytes_per_user_slot")
            bps = b.get("bytes_per_second")
            peak = _peak(backend, bench.context, peak_bw)
            series[kind][(backend, int(args["N"]))].append((int(args["envs"]), float(rate), bpus, peak))
            roof = peak * 1e9 / bpus if peak and bpus else None
            table.rows.append([b["name"], backend, args["envs"], args["N"], fmt(rate), fmt(bpus),
                               fmt(bps / 1e9 if bps else None), f"{100 * rate / roof:.0f} %" if roof else "-"])
    for kind, by in sorted(series.items()):
        ns = sorted({n for _, n in by})
        fig, axes = plt.subplots(1, len(ns), figsize=(2.6 * len(ns), 2.5), squeeze=False)
        for ax, n in zip(axes[0], ns):
            for backend in ("CPU", "GPU"):
                pts = sorted(by.get((backend, n), []))
                if not pts:
                    continue
                c = "tab:blue" if backend == "CPU" else "tab:green"
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=c, label=backend, markersize=3)
                bpus = [p[2] for p in pts if p[2]]
                peak = pts[0][3]
                if bpus and peak:
                    ax.axhline(peak * 1e9 / float(np.median(bpus)), color=c, linestyle=":",
                               label=f"{backend} roofline ({fmt(peak)} GB/s)")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("number of envs")
            ax.set_ylabel("user-slots/s")
            ax.set_title(f"N = {n}")
            ax.legend(loc="lower right")
        fig.suptitle(kind)
        fig.tight_layout()
        sec.figures.append(save(fig, out_dir, f"throughput_{slug(kind)}",
                                f"{kind}: user-slots/s against the number of envs"))
    if table.rows:
        sec.tables.append(table)
    else:
        sec.notes.append("no benchmark with envs and N arguments and a user_slots or user_decisions counter")
    return sec
