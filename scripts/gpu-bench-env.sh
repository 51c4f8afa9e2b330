#!/usr/bin/env bash
# On the GPU machine: the env-step benchmarks behind issue 12's targets, as
# one table (user-slots/s, bytes per user-slot from the layout, GB/s, % of
# the detected GPU's HBM roofline, target, verdict) and JSON in $OUT (or
# ./gpu-results). About a minute on an H100 once built.
#   scripts/gpu-bench-env.sh                      uses build-gpu/ (scripts/gpu-check.sh builds it)
#   BUILD_DIR=dir scripts/gpu-bench-env.sh        another build directory
#   BASELINE=old.json scripts/gpu-bench-env.sh    also compare with an earlier run's JSON
#                                                 (e.g. this script on the previous commit)
#   HBM_GBPS=3350 scripts/gpu-bench-env.sh        roofline for a GPU the table does not know
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-results}"
build="${BUILD_DIR:-$root/build-gpu}"
mkdir -p "$out"
bench="$build/bench/mecrl_bench"
if [ ! -x "$bench" ]; then
  echo "gpu-bench-env: $bench not found; building target mecrl_bench in $build" >&2
  cmake --build "$build" --target mecrl_bench -j "$(nproc)" > "$out/bench-build.log" 2>&1 \
    || { tail -30 "$out/bench-build.log"; exit 1; }
fi
gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)"
json="$out/bench_env_issue12.json"
"$bench" --benchmark_filter='StepCuda' --benchmark_min_time=0.3 \
  --benchmark_format=json --benchmark_out="$json" > /dev/null
python3 - "$json" "$gpu" "${HBM_GBPS:-}" "${BASELINE:-}" <<'PY'
import json, re, sys
path, gpu, hbm_override, baseline_path = sys.argv[1:5]
# Peak HBM bandwidth, GB/s (vendor figures).
ROOFLINE = [("H200", 4800), ("H100 NVL", 3900), ("H100 PCIe", 2000), ("H100", 3350),
            ("A100-SXM4-80GB", 2039), ("A100 80GB PCIe", 1935), ("A100", 1555)]
peak = float(hbm_override) if hbm_override else next((bw for key, bw in ROOFLINE if key in gpu), None)

def args(name):
    return {k: int(v) for k, v in re.findall(r"(\w+):(\d+)", name)}

def target(name):
    """Issue 12's target in user-slots/s for this benchmark, if it has one."""
    a = args(name)
    if not name.startswith("BM_OffloadStepCuda"):
        return None
    if a["N"] == 200 and a["envs"] >= 16384:
        return 9e9
    if a["N"] == 50 and a["envs"] >= 16384:
        return 7e9
    if a["N"] == 200 and a["envs"] == 1024:
        return 3e9
    return None

runs = [b for b in json.load(open(path))["benchmarks"] if not b.get("error_occurred")]
base = {}
if baseline_path:
    for b in json.load(open(baseline_path))["benchmarks"]:
        if not b.get("error_occurred") and "user_slots" in b:
            base[b["name"]] = b["user_slots"]
print(f"GPU: {gpu or 'unknown'}; HBM roofline: {peak or '?'} GB/s" + (f"; baseline: {baseline_path}" if base else ""))
head = f"{'benchmark':<40}{'user-slots/s':>13}{'B/slot':>8}{'GB/s':>8}{'%roof':>7}{'target':>9}{'vs base':>9}  verdict"
print(head)
print("-" * len(head))
missed = 0
for b in runs:
    rate, per = b.get("user_slots", 0.0), b.get("bytes_per_user_slot", 0.0)
    gbs = rate * per / 1e9
    roof = f"{100 * gbs / peak:.0f}" if peak else "?"
    t = target(b["name"])
    old = base.get(b["name"])
    verdict = ""
    if t is not None:
        verdict = "ok" if rate >= t else "MISSED"
    elif b["name"].startswith("BM_OffloadStepCuda") and "/N:10/" in b["name"]:
        verdict = ("ok (>= base)" if rate >= old else "SLOWER than base") if old else "target: >= base (set BASELINE)"
    missed += verdict.startswith(("MISSED", "SLOWER"))
    name = b["name"].replace("/real_time", "")
    print(f"{name:<40}{rate:>13.3g}{per:>8.0f}{gbs:>8.0f}{roof:>7}"
          f"{(f'{t:.0e}' if t else '-'):>9}{(f'{rate / old:.2f}x' if old else '-'):>9}  {verdict}")
print(f"\n{missed} target(s) missed" if missed else "\nall stated targets met")
PY
