"""`mecrl report` end to end, as a user runs it: a tiny study in the layout of
scripts/report/inputs.py (a few seconds of PPO-Lagrangian, world-model PPO
and uncertainty PPO, evaluations with per-query samples, sweeps over N and
tau, a benchmark JSON from mecrl_bench and a GPU one with bytes counters
written here), then the report is checked with readers that are not the
report's: every PNG decodes (Pillow), every SVG parses (ElementTree) and
carries its axis labels and legend entries as text, every link of index.html
and report.md resolves, and numbers derived here by hand appear in the
tables. Bad input: one line naming it, exit status 2, an earlier report kept.
Exit 77 (skipped) without the report's packages."""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

try:
    import matplotlib  # noqa: F401  (the report needs it; Pillow is the independent reader)
    import yaml
    from PIL import Image
except ImportError as e:
    print(f"skipped: {e} (install tests/python/requirements.txt into .venv)")
    sys.exit(77)

SRC = os.environ["MECRL_SOURCE_DIR"]
MECRL = os.environ["MECRL_BINARY"]
BENCH = os.path.join(os.environ["MECRL_BUILD_DIR"], "bench", "mecrl_bench")
REPORT = [sys.executable, os.path.join(SRC, "scripts", "report", "mecrl_report.py"), "--mecrl", MECRL]
TINY_OFFLOAD = ["env.num_users=5", "env.episode_slots=16", "train.num_envs=2", "train.rollout_steps=16",
                "train.total_steps=320", "ppo.num_minibatches=2", "ppo.update_epochs=1", "lagrangian.warmup_steps=0",
                "threads=1"]
TINY_WM = ["wm.hidden=16", "wm.window=8", "wm.batch_windows=8", "wm.imagine_cells=2", "wm.warmup_iterations=2"]


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=SRC, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> {r.returncode}\n{r.stderr}")
    return r.stdout


def train(runs, config, name, seed, extra):
    r = subprocess.run([MECRL, "train", "--config", config, f"train.runs_dir={runs}", f"train.name={name}",
                        f"seed={seed}"] + extra, capture_output=True, text=True, cwd=SRC)
    if r.returncode != 0 and "needs LibTorch" in r.stderr:
        return None
    assert r.returncode == 0, r.stderr
    run = sorted(d for d in os.listdir(runs) if d.startswith(name + "__"))[-1]
    return os.path.join(runs, run)


def make_study(study):
    runs = os.path.join(study, "runs")
    evals = os.path.join(study, "eval")
    bench = os.path.join(study, "bench")
    for d in (runs, evals, bench):
        os.makedirs(d)
    trained = {}
    for seed in (1, 2):
        trained[seed] = train(runs, "configs/offload_ppo.yaml", f"N5_ppo_lag_s{seed}", seed, TINY_OFFLOAD)
    train(runs, "configs/offload_wmppo.yaml", "N5_wm_ppo_lag_s1", 1, TINY_OFFLOAD + TINY_WM)
    unc = train(runs, "configs/uncertainty_ppo.yaml", "unc_ppo", 1,
                ["env.num_users=10", "train.num_envs=8", "train.rollout_steps=4", "train.total_steps=128", "threads=1"])
    have_torch = trained[1] is not None

    def evaluate(policy, label, tag, users):
        base = os.path.join(evals, tag)
        out = sh([MECRL, "eval", "--config", "configs/offload.yaml", "--policy", policy, "--label", label,
                  "--episodes", "2", f"env.num_users={users}", "eval.slots=200", "eval.warmup_slots=20", "--json",
                  "--samples", base + ".samples.csv", "threads=1"])
        with open(base + ".json", "w") as f:
            f.write(out)

    for n in (5, 10):
        for b in ("local", "greedy"):
            evaluate(b, b, f"{b}__N{n}", n)
    if have_torch:
        for seed in (1, 2):
            evaluate(os.path.join(trained[seed], "checkpoints", "last"), "ppo_lag argmax",
                     f"ppo_lag_argmax__N5__s{seed}", 5)

    policies = "goa,dmin,local" + (f",{unc}/checkpoints/last" if unc else "")
    sh([MECRL, "sweep", "--config", "configs/uncertainty.yaml", "--policies", policies, "--set",
        "env.num_users=10,20,30", "--set", "env.tau=0.7", "--episodes", "4", "threads=1", "--out",
        os.path.join(study, "sweep_n.csv")])
    sh([MECRL, "sweep", "--config", "configs/uncertainty.yaml", "--policies", policies, "--set", "env.num_users=20",
        "--set", "env.tau=0.6,0.8", "--episodes", "4", "threads=1", "--out", os.path.join(study, "sweep_tau.csv")])
    sh([BENCH, "--benchmark_filter=BM_OffloadStepCpu/envs:(1|64)/N:10/", "--benchmark_min_time=0.01",
        f"--benchmark_out={os.path.join(bench, 'cpu.json')}", "--benchmark_out_format=json"])
    # A GPU file as the env benchmarks will write it (issue 12): user_slots and
    # bytes counters, and the peak bandwidth in the context. Roofline at 3350 GB/s
    # and 400 bytes per user-slot: 8.375e9 user-slots/s; 1e9 measured is 12 % of it.
    gpu = {"context": {"peak_bw_gbps_gpu": 3350}, "benchmarks": [
        {"name": f"BM_OffloadStepCuda/envs:{e}/N:10/real_time", "run_name": f"BM_OffloadStepCuda/envs:{e}/N:10",
         "run_type": "iteration", "user_slots": r, "bytes_per_user_slot": 400.0, "bytes_per_second": 400.0 * r}
        for e, r in ((1024, 2.5e8), (16384, 1e9))]}
    with open(os.path.join(bench, "gpu.json"), "w") as f:
        json.dump(gpu, f)
    return have_torch, unc is not None


def svg_texts(path):
    root = ET.parse(path).getroot()
    return {"".join(el.itertext()).strip() for el in root.iter() if el.tag.endswith("}text") or el.tag == "text"}


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for k in ("href", "src"):
            if k in a:
                self.links.append(a[k])


def fmt3(v):
    return str(int(v)) if v == int(v) else f"{v:.3g}"


def check_report(rep, have_torch, have_unc):
    figs = os.path.join(rep, "figures")
    expect = {
        "latency_offload_N5": ["end-to-end latency (s)", "fraction of queries", "local", "greedy", "p50", "p95",
                               "p99"] + (["ppo_lag argmax"] if have_torch else []),
        "latency_offload_N10": ["local", "greedy"],
        "sweep_sweep_n_env_num_users": ["number of users N", "mean delay (ms)", "accuracy (%)", "goa", "dmin",
                                        "local"] + (["learned ppo"] if have_unc else []),
        "sweep_sweep_tau_env_tau": ["uncertainty threshold τ", "mean delay (ms)", "goa"],
        "throughput_OffloadStep": ["number of envs", "user-slots/s", "CPU", "GPU", "GPU roofline (3350 GB/s)",
                                   "N = 10"],
        "catalogue": ["memory on a phone (GB)", "energy per query (Wh)", "snapdragon_865 usable RAM", "A100_80GB",
                      "accuracy mix", "hallucination"],
    }
    models = yaml.safe_load(open(os.path.join(SRC, "configs", "tables", "models.yaml")))["tables"]["models"]
    expect["catalogue"] += list(models)
    if have_torch:
        expect["curves_offload_N5_steps"] = ["cell-slots", "episodic return", "mean latency (s)",
                                             "cost_energy per step", "λ_energy", "cost_hallucination per step",
                                             "ppo_lag (2 seeds)", "wm_ppo_lag (1 seed)"]
        expect["curves_offload_N5_wall"] = ["wall time (s)", "episodic return"]
        expect["convergence_offload_N5"] = ["cell-slots to level", "return level", "ppo_lag", "wm_ppo_lag"]
    for stem, texts in expect.items():
        png, svg = os.path.join(figs, stem + ".png"), os.path.join(figs, stem + ".svg")
        assert os.path.isfile(png) and os.path.isfile(svg), f"missing figure {stem}: {sorted(os.listdir(figs))}"
        got = svg_texts(svg)
        missing = [t for t in texts if t not in got]
        assert not missing, f"{stem}.svg lacks {missing}; has {sorted(got)[:60]}"
    for name in os.listdir(figs):
        p = os.path.join(figs, name)
        if name.endswith(".png"):
            with Image.open(p) as im:
                im.verify()
            with Image.open(p) as im:
                im.load()
                assert im.size[0] > 200 and im.size[1] > 100, (name, im.size)
        else:
            assert name.endswith(".svg"), name
            ET.parse(p)
    parser = Links()
    parser.feed(open(os.path.join(rep, "index.html")).read())
    assert parser.links
    for link in parser.links:
        if link.startswith("#"):
            assert link[1:] in parser.ids, link
        else:
            assert os.path.isfile(os.path.join(rep, link)), f"index.html links a missing {link}"
    md = open(os.path.join(rep, "report.md")).read()
    md_links = re.findall(r"\]\(([^)]+)\)", md)
    assert len(md_links) >= 2 * len(expect)
    for link in md_links:
        assert os.path.isfile(os.path.join(rep, link)), f"report.md links a missing {link}"
    # Numbers derived without the report: ECLD on the Snapdragon 865 costs
    # 185 J = 0.0514 Wh (tests/envs/offload/test_catalogue.cpp), the GPU file's
    # 1e9 user-slots/s are 12 % of its roofline, and every sweep row's delay.
    assert re.search(r"\| llama31_8b_ecld \|[^\n]*\| 0\.0514 \|", md), "catalogue row"
    assert re.search(r"BM_OffloadStepCuda/envs:16384/N:10/real_time \| GPU[^\n]*\| 12 % \|", md), "roofline share"
    with open(os.path.join(os.path.dirname(rep), "study", "sweep_n.csv")) as f:
        for row in csv.DictReader(f):
            assert f"| {fmt3(float(row['delay_ms']))} |" in md, row
    return len(expect)


def report(args):
    return subprocess.run(REPORT + args, capture_output=True, text=True, cwd=SRC)


def check_errors(tmp, rep):
    before = open(os.path.join(rep, "index.html")).read()
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    bad_run = os.path.join(tmp, "bad_run")
    os.makedirs(bad_run)
    with open(os.path.join(bad_run, "metrics.csv"), "w") as f:
        f.write("step,charts/episodic_return\n1,2\n")
    with open(os.path.join(bad_run, "config.yaml"), "w") as f:
        f.write("env:\n  scenario: offload\n")
    bad_json = os.path.join(tmp, "broken.json")
    with open(bad_json, "w") as f:
        f.write('{"benchmarks": [')
    bad_csv = os.path.join(tmp, "sweep_bad.csv")
    with open(bad_csv, "w") as f:
        f.write("env.tau,policy,delay_ms\n0.7,goa,1.0\n0.8,goa\n")
    cases = [(empty, empty), (bad_run, os.path.join(bad_run, "metrics.csv:1")), (bad_json, bad_json + ":1"),
             (bad_csv, bad_csv + ":3"), (os.path.join(tmp, "nowhere"), os.path.join(tmp, "nowhere"))]
    for path, named in cases:
        r = report([path, "--out", rep])
        assert r.returncode == 2, (path, r.returncode, r.stderr)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and named in lines[0] and lines[0].startswith("mecrl report: error: "), r.stderr
        assert r.stdout == "", r.stdout
    assert open(os.path.join(rep, "index.html")).read() == before, "a failed report touched the earlier one"
    other = os.path.join(tmp, "not_a_report")
    os.makedirs(other)
    open(os.path.join(other, "notes.txt"), "w").write("mine")
    r = report([os.path.join(tmp, "study", "sweep_n.csv"), "--out", other, "--no-catalogue"])
    assert r.returncode == 2 and "not a report folder" in r.stderr, r.stderr
    assert os.listdir(other) == ["notes.txt"]


def main():
    with tempfile.TemporaryDirectory(prefix="mecrl_report_") as tmp:
        study = os.path.join(tmp, "study")
        have_torch, have_unc = make_study(study)
        rep = os.path.join(tmp, "report")
        r = report([study, "--out", rep])
        assert r.returncode == 0, r.stderr
        n = check_report(rep, have_torch, have_unc)
        assert r.stderr == "", r.stderr  # no warnings on a good run
        check_errors(tmp, rep)
        # A new report over an old one replaces it whole: no stale figures.
        r = report([os.path.join(study, "sweep_tau.csv"), "--out", rep, "--no-catalogue"])
        assert r.returncode == 0, r.stderr
        assert sorted(os.listdir(os.path.join(rep, "figures"))) == ["sweep_sweep_tau_env_tau.png",
                                                                    "sweep_sweep_tau_env_tau.svg"]
    print(f"ok: report with {n} checked figures" + ("" if have_torch else " (no LibTorch: no training runs)"))


if __name__ == "__main__":
    main()
