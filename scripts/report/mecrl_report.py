#!/usr/bin/env python3
"""mecrl report: figures and tables a paper can use, from training runs,
studies, sweeps and benchmarks.

    ./mecrl report study/ sweep_n.csv bench.json --out report/

writes report/index.html and report/report.md (the same content) with every
figure as PNG and SVG under report/figures/: learning curves, world-model PPO
vs PPO convergence, latency CDFs and percentiles with constraint verdicts,
uncertainty sweeps (seed 001's figures), the model catalogue of seeds 000/002
(`mecrl catalogue`) and simulator throughput. What it reads, and the folder
layout the study scripts write, is described in inputs.py.

The report folder is built beside --out and swapped in when complete, so a
failed run leaves an earlier report as it was. Bad input: one line naming
the file, exit status 2.
"""
import argparse
import os
import shutil
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


def need(e):
    sys.exit(f"mecrl report: {e}: install scripts/report/requirements.txt (./mecrl report does it into .venv)")


try:
    from inputs import InputError, load_inputs  # noqa: E402  (no matplotlib: bad input fails fast)
except ImportError as e:
    need(e)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="mecrl report", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", help="run folders, study folders, sweep CSVs, eval or benchmark JSON")
    ap.add_argument("--out", required=True, help="report folder (replaced when the new report is complete)")
    ap.add_argument("--title", default="mecrl report")
    ap.add_argument("--mecrl", default=os.environ.get("MECRL_BINARY", os.path.join(ROOT, "build", "apps", "mecrl")),
                    help="the mecrl binary, for `mecrl catalogue` (default: build/apps/mecrl)")
    ap.add_argument("--catalogue-config", default=os.path.join(ROOT, "configs", "offload.yaml"),
                    help="config whose tables the catalogue lists")
    ap.add_argument("--catalogue-set", action="append", default=[], metavar="KEY=VALUE",
                    help="override for the catalogue (catalogue.ram_fraction=0.5, env.device.bw_efficiency=...)")
    ap.add_argument("--no-catalogue", action="store_true", help="leave the model catalogue out")
    ap.add_argument("--return-level", type=float, help="return level of the convergence figure "
                                                       "(default: the lowest final return of the agents)")
    ap.add_argument("--peak-bw-gbps", action="append", default=[], metavar="BACKEND=GBPS",
                    help="peak memory bandwidth for the roofline, e.g. gpu=3350 cpu=60")
    return ap.parse_args(argv)


def peak_bandwidths(items):
    out = {}
    for it in items:
        key, _, val = it.partition("=")
        try:
            out[key.strip().lower()] = float(val)
        except ValueError:
            raise InputError(f"--peak-bw-gbps {it}: expected BACKEND=GBPS (e.g. gpu=3350)")
        if key.strip().lower() not in ("cpu", "gpu") or out[key.strip().lower()] <= 0:
            raise InputError(f"--peak-bw-gbps {it}: BACKEND is cpu or gpu, GBPS > 0")
    return out


def fresh_folder(out):
    """The temporary folder to build in; refuses to replace a folder that is not a report."""
    out = os.path.abspath(out)
    if os.path.exists(out) and (not os.path.isdir(out) or
                                (os.listdir(out) and not os.path.isfile(os.path.join(out, "index.html")))):
        raise InputError(f"--out {out}: exists and is not a report folder (no index.html); choose another")
    parent = os.path.dirname(out)
    if not os.path.isdir(parent):
        raise InputError(f"--out {out}: folder '{parent}' does not exist")
    tmp = f"{out}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    return out, tmp


def publish(tmp, out):
    old = f"{out}.old{os.getpid()}"
    if os.path.exists(out):
        os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def build(args):
    peak_bw = peak_bandwidths(args.peak_bw_gbps)
    data = load_inputs(args.inputs)
    out, tmp = fresh_folder(args.out)
    try:
        import evaluations
        import hardware
        import page
        import runs
        from plotting import Section, Table
    except ImportError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        need(e)
    try:
        sections = []
        if data.runs:
            s = runs.learning_curves(data.runs, tmp)
            s.tables.append(runs.runs_table(data.runs))
            sections.append(s)
            sections.append(runs.convergence(data.runs, tmp, args.return_level))
        if data.evals:
            sections.append(evaluations.latency(data.evals, tmp))
        if data.sweeps:
            sections.append(evaluations.sweeps(data.sweeps, tmp))
        if not args.no_catalogue:
            cat = hardware.run_catalogue(args.mecrl, args.catalogue_config, args.catalogue_set)
            sections.append(hardware.catalogue(cat, tmp))
        if data.benches:
            sections.append(hardware.throughput(data.benches, tmp, peak_bw))
        sections = [s for s in sections if s.figures or s.tables or s.notes]
        if data.skipped:
            sections.append(Section("Skipped inputs", tables=[Table("Readable but without data",
                                                                         ["path", "why"],
                                                                         [list(x) for x in data.skipped])]))
        preamble = [f"Inputs: {', '.join(args.inputs)}.",
                    f"{len(data.runs)} training runs, {len(data.evals)} evaluations, {len(data.sweeps)} sweeps, "
                    f"{len(data.benches)} benchmark files. Every figure is also an SVG (text kept as text)."]
        page.write_html(os.path.join(tmp, "index.html"), args.title, preamble, sections)
        page.write_markdown(os.path.join(tmp, "report.md"), args.title, preamble, sections)
        publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    figures = sum(len(s.figures) for s in sections)
    print(f"wrote {os.path.join(out, 'index.html')} and report.md ({figures} figures, PNG and SVG)")


def main(argv=None):
    args = parse_args(argv)
    # A statistic over nothing (a policy without p99, a seed without returns)
    # is NaN and shown as "-"; numpy's warning about it is noise here.
    warnings.filterwarnings("ignore", message="(Mean of empty slice|All-NaN slice encountered)")
    try:
        build(args)
    except InputError as e:
        print(f"mecrl report: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
