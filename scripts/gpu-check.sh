#!/usr/bin/env bash
# The GPU check, in one command, on a machine with pip PyTorch and no Debian
# LibTorch (the lent H100/H200): build, every GPU test, the GPU benchmarks, a
# 60-second GPU training run with a checkpoint after every iteration and a
# resume; then a one-screen summary. Budget: under 5 minutes on an H100 (each
# phase has its own timeout; the most important come first).
#
#   prepare here:  ../shared/device/carry-debs.sh $(scripts/gpu-check.sh --debs)   (C++ packages into .deps/)
#   run there:     scripts/gpu-check.sh                  (device tool: carry [".deps"])
#
# Results (logs, JSON, summary.txt) land in $OUT (the device tool's output
# folder) or ./gpu-results. Exit status: 0 when every phase passed.
set -uo pipefail
# The Debian packages the build needs beyond the device's base image.
if [ "${1:-}" = --debs ]; then
  echo libfmt-dev libfmt9 libgtest-dev libbenchmark-dev libbenchmark1debian libyaml-dev libyaml-0-2 \
       libyaml-cpp-dev libyaml-cpp0.7 libcli11-dev nlohmann-json3-dev
  exit 0
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-results}"
# shellcheck source=SCRIPTDIR/gpu-build-env.sh
. "$root/scripts/gpu-build-env.sh"  # gpu_build, gpu_configure, gpu_build_targets; LD_LIBRARY_PATH
build="$gpu_build"
mkdir -p "$out"
cd "$root"
log="$out/gpu-check.log"   # every phase's output, one file
summary="$out/summary.txt"
: > "$log"
: > "$summary"
failed=0

# phase <name> <timeout s> <command...>: runs it with its output in the log,
# records pass/FAIL and seconds in the summary.
phase() {
  local name="$1" limit="$2" t0 status
  shift 2
  t0=$(date +%s.%N)
  echo "==== $name (limit ${limit}s): $*" >> "$log"
  timeout --kill-after=5 "$limit" "$@" >> "$log" 2>&1
  status=$?
  local secs
  secs=$(python3 -c "import time;print(f'{time.time()-$t0:.0f}')")
  if [ $status -eq 0 ]; then
    printf '%-28s pass  %4ss\n' "$name" "$secs" >> "$summary"
  else
    printf '%-28s FAIL  %4ss  (exit %s%s)\n' "$name" "$secs" "$status" "$([ $status -eq 124 ] && echo ', timed out')" >> "$summary"
    failed=1
  fi
  return $status
}

{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader
  python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)'
} > "$out/device.txt" 2>&1
gpu="$(head -1 "$out/device.txt")"

# ---- 1. build (the targets the checks need, nothing else), unless binaries
# built elsewhere run here (scripts/gpu-prebuild.sh)
if [ "$gpu_prebuilt" = 1 ]; then
  printf '%-28s pass  (prebuilt: %s)\n' "build" "$(cat .gpubin/commit 2>/dev/null || echo '?')" >> "$summary"
else
  phase configure 60 "${gpu_configure[@]}" &&
    phase build 170 "${gpu_build_targets[@]}" mecrl mecrl_cuda_tests mecrl_agent_tests mecrl_bench mecrl_bench_agents || {
    cat "$summary"; grep -E 'error|FAILED' "$log" | tail -30; exit 1; }
fi

# ---- 1b. how the binaries bind the standard library here: the pip LibTorch
# exports its own copies of some (docs/architecture.md, "Linking LibTorch").
{
  echo "LD_PRELOAD=${LD_PRELOAD:-}"
  readelf -d "$build/apps/mecrl" | grep -E 'NEEDED|RUNPATH'
  ldd "$build/apps/mecrl"
  LD_BIND_NOW=1 LD_DEBUG=bindings "$build/apps/mecrl" --version 2>&1 | grep -E 'filesystem|to_string' | head -60
} > "$out/link-audit.txt" 2>&1
phase "std bindings" 60 env MECRL_BUILD_DIR="$build" python3 tests/python/test_std_bindings.py

# ---- 2. every GPU test (CPU-vs-GPU byte identity, GPU training, checkpoint + resume twin)
phase "gpu tests (env)" 60 "$build/tests/mecrl_cuda_tests" --gtest_output="xml:$out/gpu-tests-env.xml"
phase "gpu tests (agents)" 90 "$build/tests/mecrl_agent_tests" --gtest_filter='Gpu*:*Cuda*' \
  --gtest_output="xml:$out/gpu-tests-agents.xml"

# ---- 3. 60 s of real training: checkpoint every iteration, stop on the time
# limit, resume, continue.
runs="$out/runs"
rm -rf "$runs"
train=("$build/apps/mecrl" train --config configs/offload_ppo.yaml env.num_users=200 train.device=cuda
       train.num_envs=1024 train.checkpoint_every=1 train.runs_dir="$runs" train.name=gpu_check)
phase "train 45 s (ckpt/iter)" 75 "${train[@]}" train.time_limit_s=45
if [ $? -eq 139 ] && command -v cuda-gdb > /dev/null; then
  # A crash: where from. At address 0 the caller's return address is at the stack top.
  timeout 90 cuda-gdb -batch -ex run -ex 'info symbol *(void**)$sp' -ex 'x/6ga $sp' -ex bt \
    --args "${train[@]}" train.name=gpu_check_crash train.time_limit_s=20 > "$out/crash.txt" 2>&1
  grep -vE '^\||^iter|^warning: Cuda' "$out/crash.txt" | tail -25 >> "$log"
fi
run_dir="$(ls -d "$runs"/gpu_check__*/ 2>/dev/null | head -1)"
if [ -n "$run_dir" ]; then
  phase "resume 15 s" 45 "${train[@]}" train.time_limit_s=15 resume="${run_dir%/}"
else
  printf '%-28s FAIL  (no run directory)\n' "resume 15 s" >> "$summary"; failed=1
fi

# ---- 4. benchmarks: env step (issue 12's targets), then training throughput
if [ -x scripts/gpu-bench-env.sh ]; then
  phase "bench env" 90 env MECRL_BENCH="$build/bench/mecrl_bench" scripts/gpu-bench-env.sh
else
  phase "bench env" 90 "$build/bench/mecrl_bench" --benchmark_filter='Cuda' --benchmark_min_time=0.2 \
    --benchmark_format=json --benchmark_out="$out/bench_env_gpu.json"
fi
# Training throughput, BM_TrainDataParallelCuda's 1-rank case (~5 s) among
# them; its cases of 2, 4, 8 ranks skip on one GPU (scripts/gpu-scaling.sh).
# Two runs, so a world model slower than planned loses only its own JSON.
phase "bench train" 75 "$build/bench/mecrl_bench_agents" \
  --benchmark_filter='BM_(Rollout/Cuda|Train/PpoCuda|TrainDataParallelCuda)' \
  --benchmark_format=json --benchmark_out="$out/bench_train_gpu.json"
phase "bench train wm" 75 "$build/bench/mecrl_bench_agents" --benchmark_filter='BM_Train/WmPpoCuda' \
  --benchmark_format=json --benchmark_out="$out/bench_train_wm_gpu.json"

# ---- 5. eval on the GPU (eval.device=cuda) vs the CPU: a baseline must match exactly
# (tests/cuda/test_eval_cuda.cpp checks it too); the checkpoint's numbers are recorded.
ev=("$build/apps/mecrl" eval --config configs/offload.yaml env.num_users=200 eval.episodes=16 eval.slots=600
    eval.warmup_slots=100 --json)
phase "eval greedy cuda" 30 sh -c '"$@" eval.device=cuda --policy greedy > "'"$out"'/eval_greedy_cuda.json"' _ "${ev[@]}"
phase "eval greedy cpu" 60 sh -c '"$@" eval.device=cpu --policy greedy > "'"$out"'/eval_greedy_cpu.json"' _ "${ev[@]}"
phase "eval greedy equal" 5 cmp "$out/eval_greedy_cuda.json" "$out/eval_greedy_cpu.json"
if [ -n "${run_dir:-}" ]; then
  phase "eval checkpoint cuda" 30 sh -c '"$@" eval.device=cuda --policy "'"${run_dir%/}"'/checkpoints/last" > "'"$out"'/eval_ckpt_cuda.json"' _ "${ev[@]}"
fi

# ---- summary
python3 - "$out" "$gpu" "${run_dir:-}" >> "$summary" <<'PY'
import csv, glob, json, os, sys, xml.etree.ElementTree as ET
out, gpu, run_dir = sys.argv[1], sys.argv[2], sys.argv[3]
print(f"\nGPU: {gpu}")
for x in sorted(glob.glob(os.path.join(out, "gpu-tests-*.xml"))):
    r = ET.parse(x).getroot()
    print(f"{os.path.basename(x)}: {r.get('tests')} tests, {r.get('failures')} failed, {r.get('disabled', '0')} disabled,"
          f" {sum(1 for c in r.iter('testcase') if c.find('skipped') is not None)} skipped")
    for c in r.iter("testcase"):
        if c.find("failure") is not None:
            print(f"  FAILED {c.get('classname')}.{c.get('name')}")
for name in ("bench_env_gpu.json", "bench_train_gpu.json", "bench_train_wm_gpu.json"):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        continue
    print(f"\n{name}:")
    for b in json.load(open(path))["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        extra = ""
        if "bytes_per_second" in b:
            extra = f"  {b['bytes_per_second'] / 1e9:8.1f} GB/s"
        err = "  ERROR " + b.get("error_message", "") if b.get("error_occurred") else ""
        print(f"  {b['name']:<48} {b.get('items_per_second', 0):11.4g} user-slots/s{extra}{err}")
if run_dir:
    rows = list(csv.DictReader(open(os.path.join(run_dir, "metrics.csv"))))
    if rows:
        last = rows[-1]
        steps = [int(float(r["global_step"])) for r in rows]
        sps = sorted(float(r["charts/SPS"]) for r in rows[1:] or rows)
        print(f"\ntraining: {len(rows)} iterations logged, global_step {steps[-1]}, steps strictly increasing: "
              f"{all(a < b for a, b in zip(steps, steps[1:]))}")
        print(f"  median {sps[len(sps)//2]:.4g} cell-slots/s = {200*sps[len(sps)//2]:.4g} user-slots/s;"
              f" last latency {last.get('mec/latency_mean_s', '?')} s, return {last.get('charts/episodic_return')}")
    ckpt = os.path.join(run_dir, "checkpoints")
    print(f"  checkpoints/: {sorted(os.listdir(ckpt)) if os.path.isdir(ckpt) else 'missing'}")
PY
cat "$summary"
exit $failed
