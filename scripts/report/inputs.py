"""What `mecrl report` reads, and how it finds it.

Inputs are recognised by content, so any folder works; the layout the study
scripts write (scripts/study_offload.py, scripts/study_uncertainty.sh) is:

    <study>/
      runs/<name>__<seed>__<time>/     a training run (`mecrl train`): config.yaml, metrics.csv,
                                       TensorBoard events, checkpoints/ (not read)
      eval/<label>__N<n>[__s<seed>].json          one `mecrl eval --json` object, its "policy" the
                                                  --label (e.g. "ppo_lag argmax", "greedy")
      eval/<label>__N<n>[__s<seed>].samples.csv   `mecrl eval --samples`: one row per completed
                                                  query (latency_s, ttft_s) or user (delay_ms)
      sweep_*.csv                      `mecrl sweep --out`: grid keys, policy, metrics, <metric>_se
      bench/*.json                     `mecrl bench --benchmark_out=F --benchmark_out_format=json`

A run is a folder with metrics.csv and config.yaml; an evaluation is a JSON
object with "scenario", "policy" and "metrics" (its samples are the file of
the same stem ending .samples.csv); a sweep is a CSV with a "policy" column;
a benchmark file is Google Benchmark's JSON ("context", "benchmarks").
Folders named checkpoints and hidden folders are not searched.

Anything found that cannot be read (bad JSON, a CSV row of the wrong width,
metrics.csv without global_step, a run without config.yaml) stops the report
with one line naming the file (InputError, exit status 2); so does a path
that holds nothing of the above.
"""
import csv
import json
import math
import os
from dataclasses import dataclass, field

import numpy as np
import yaml


class InputError(Exception):
    """Something the user can fix; printed as one line, exit status 2."""


@dataclass
class Run:
    path: str
    scenario: str
    agent: str             # ppo, ppo_lag, wm_ppo, wm_ppo_lag, ... (as `mecrl train` names runs)
    seed: int
    num_users: int | None
    columns: dict           # tag -> np.array over logged iterations (NaN where empty)


@dataclass
class Evaluation:
    path: str
    scenario: str
    policy: str             # the --label (or the --policy text)
    num_users: int | None
    metrics: dict           # key -> float (NaN for null)
    samples: dict = field(default_factory=dict)  # column -> np.array (empty without a samples file)


@dataclass
class Sweep:
    path: str
    axes: list              # grid keys, e.g. ["env.num_users", "env.tau"]
    rows: list              # dicts: axis values as float, "policy" str, metrics as float


@dataclass
class Bench:
    path: str
    context: dict
    benchmarks: list        # Google Benchmark's entries (dicts)


@dataclass
class Inputs:
    runs: list = field(default_factory=list)
    evals: list = field(default_factory=list)
    sweeps: list = field(default_factory=list)
    benches: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (path, why): readable but empty

    def empty(self):
        return not (self.runs or self.evals or self.sweeps or self.benches)


def _number(text):
    if text is None or text == "":
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def agent_name(cfg):
    """The agent label `mecrl train` puts in run names (apps/cmd_train.cpp)."""
    wm = (cfg.get("wm") or {}).get("enabled") in (True, "true")
    mode = (cfg.get("lagrangian") or {}).get("mode", "none")
    return ("wm_ppo" if wm else "ppo") + {"lagrangian": "_lag", "penalty": "_pen"}.get(mode, "")


def read_run(path):
    cfg_path = os.path.join(path, "config.yaml")
    csv_path = os.path.join(path, "metrics.csv")
    if not os.path.isfile(cfg_path):
        raise InputError(f"{path}: a run folder needs config.yaml beside metrics.csv")
    try:
        with open(cfg_path) as f:
            cfg = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"{cfg_path}: not readable as YAML ({str(e).splitlines()[0]})")
    if not isinstance(cfg, dict) or "env" not in cfg:
        raise InputError(f"{cfg_path}: not a run's resolved config (no env: section)")
    header, rows = _read_csv(csv_path)
    if "global_step" not in header:
        raise InputError(f"{csv_path}:1: no global_step column (not the metrics.csv of `mecrl train`)")
    columns = {}
    for k, name in enumerate(header):
        values = []
        for line, row in rows:
            v = _number(row[k])
            if v is None:
                raise InputError(f"{csv_path}:{line}: column {name}: '{row[k]}' is not a number")
            values.append(v)
        columns[name] = np.array(values, dtype=float)
    env = cfg["env"]
    users = env.get("num_users")
    return Run(path=path, scenario=str(env.get("scenario", "?")), agent=agent_name(cfg),
               seed=int(cfg.get("seed", 0)), num_users=int(users) if users is not None else None,
               columns=columns) if rows else None


def _read_csv(path):
    """(header, [(line number, fields)]) with every row as wide as the header."""
    try:
        with open(path, newline="") as f:
            lines = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"{path}: cannot read ({e})")
    if not lines or not lines[0]:
        raise InputError(f"{path}:1: empty file (expected a header line)")
    header = lines[0]
    rows = []
    for n, fields in enumerate(lines[1:], start=2):
        if not fields:
            continue
        if len(fields) != len(header):
            raise InputError(f"{path}:{n}: {len(fields)} fields, the header has {len(header)}")
        rows.append((n, fields))
    return header, rows


def read_sweep(path):
    header, rows = _read_csv(path)
    if "policy" not in header:
        raise InputError(f"{path}:1: no 'policy' column (not a `mecrl sweep` CSV)")
    axes = header[:header.index("policy")]
    out = []
    for line, fields in rows:
        row = {}
        for name, text in zip(header, fields):
            if name == "policy":
                row[name] = text
                continue
            v = _number(text)
            if v is None:
                raise InputError(f"{path}:{line}: column {name}: '{text}' is not a number")
            row[name] = v
        out.append(row)
    if "delay_ms" not in header and "latency_mean_s" not in header:
        raise InputError(f"{path}:1: no delay_ms or latency_mean_s column (not a `mecrl sweep` CSV)")
    return Sweep(path=path, axes=axes, rows=out) if out else None


def _load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read ({e})")
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: not JSON ({e.msg})")


def classify_json(path, obj):
    """'bench', 'eval' or None."""
    if isinstance(obj, dict) and isinstance(obj.get("benchmarks"), list):
        return "bench"
    if isinstance(obj, dict) and isinstance(obj.get("metrics"), dict) and "policy" in obj and "scenario" in obj:
        return "eval"
    return None


def read_eval(path, obj):
    metrics = {}
    for k, v in obj["metrics"].items():
        if v is not None and not isinstance(v, (int, float)):
            raise InputError(f"{path}: metrics.{k} = {v!r} is not a number")
        metrics[k] = math.nan if v is None else float(v)
    users = obj.get("num_users")
    ev = Evaluation(path=path, scenario=str(obj["scenario"]), policy=str(obj["policy"]),
                    num_users=int(users) if users is not None else None, metrics=metrics)
    samples_path = path[:-len(".json")] + ".samples.csv"
    if os.path.isfile(samples_path):
        header, rows = _read_csv(samples_path)
        for k, name in enumerate(header):
            vals = [_number(r[k]) for _, r in rows]
            if any(v is None for v in vals):
                line = next(n for (n, r), v in zip(rows, vals) if v is None)
                raise InputError(f"{samples_path}:{line}: column {name} is not a number")
            ev.samples[name] = np.array(vals, dtype=float)
    return ev


def read_bench(path, obj):
    entries = [b for b in obj["benchmarks"] if isinstance(b, dict) and "name" in b]
    return Bench(path=path, context=obj.get("context") or {}, benchmarks=entries) if entries else None


def _add(inputs, kind, path, item):
    if item is None:
        inputs.skipped.append((path, "no data rows"))
    else:
        getattr(inputs, kind).append(item)


def _walk(root, inputs):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "checkpoints" and not d.startswith("."))
        files = set(filenames)
        if "metrics.csv" in files:
            _add(inputs, "runs", dirpath, read_run(dirpath))
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if name.endswith(".json"):
                obj = _load_json(path)
                kind = classify_json(path, obj)
                if kind == "bench":
                    _add(inputs, "benches", path, read_bench(path, obj))
                elif kind == "eval":
                    inputs.evals.append(read_eval(path, obj))
            elif name.endswith(".csv") and name != "metrics.csv" and not name.endswith(".samples.csv"):
                header, _ = _read_csv(path)
                if "policy" in header:
                    _add(inputs, "sweeps", path, read_sweep(path))


def load_inputs(paths):
    """Everything under `paths` (folders searched, files read as what they say they are)."""
    inputs = Inputs()
    for p in paths:
        if not os.path.exists(p):
            raise InputError(f"{p}: no such file or folder")
        before = (len(inputs.runs), len(inputs.evals), len(inputs.sweeps), len(inputs.benches))
        if os.path.isdir(p):
            _walk(p, inputs)
        elif p.endswith(".csv"):
            _add(inputs, "sweeps", p, read_sweep(p))
        elif p.endswith(".json"):
            obj = _load_json(p)
            kind = classify_json(p, obj)
            if kind is None:
                raise InputError(f"{p}: neither `mecrl eval --json` output nor Google Benchmark JSON")
            if kind == "bench":
                _add(inputs, "benches", p, read_bench(p, obj))
            else:
                inputs.evals.append(read_eval(p, obj))
        else:
            raise InputError(f"{p}: expected a folder, a sweep .csv or a .json file")
        after = (len(inputs.runs), len(inputs.evals), len(inputs.sweeps), len(inputs.benches))
        if after == before:
            raise InputError(f"{p}: no training run (metrics.csv + config.yaml), evaluation JSON, sweep CSV or "
                             "benchmark JSON with data in it (layout: scripts/report/inputs.py)")
    return inputs
