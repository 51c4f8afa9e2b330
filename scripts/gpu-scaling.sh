#!/usr/bin/env bash
# Data-parallel scaling on GPUs (issue 17), in one command on a node with
# several NVIDIA GPUs: builds mecrl_bench_agents as scripts/gpu-check.sh does
# (the pip PyTorch's LibTorch, which has NCCL; C++ packages from .deps/ where
# the node lacks them), runs BM_TrainDataParallelCuda with 1, 2, 4 and 8
# ranks, as many as there are GPUs (one GPU per rank over NCCL; 4,096 envs x
# N = 200 per rank, PPO-Lagrangian), and prints ranks | user-slots/s |
# speed-up | efficiency with the GPU model. Target: efficiency >= 0.90 at 8.
# First it runs the multi-GPU tests (DistributedCuda.*: NCCL closed forms on
# one GPU, two GPU ranks with identical weights after every update), which
# a machine with fewer GPUs skips. About a minute once built. JSON and the
# log land in $OUT or ./gpu-results.
#   scripts/gpu-scaling.sh
#   BENCH=build-x/bench/mecrl_bench_agents scripts/gpu-scaling.sh   a binary built already: no build
#   CUDA_VISIBLE_DEVICES=0,1,2,3 scripts/gpu-scaling.sh             only these GPUs
# Exit status: 0 when every case ran, 1 when a case or the build failed,
# 2 when this machine cannot run it (no GPU, no PyTorch), with one line.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-results}"
refuse() { echo "gpu-scaling: $*" >&2; exit 2; }

command -v nvidia-smi > /dev/null || refuse "no nvidia-smi on this machine: run it on a node with NVIDIA GPUs"
mapfile -t gpus < <(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null)
[ "${#gpus[@]}" -gt 0 ] || refuse "nvidia-smi lists no GPU (driver not loaded?): nothing to measure"
n="${#gpus[@]}"
if [ -n "${CUDA_VISIBLE_DEVICES+set}" ]; then  # the GPUs the ranks may use
  IFS=, read -ra visible <<< "$CUDA_VISIBLE_DEVICES"
  n="${#visible[@]}"
  [ "$n" -gt 0 ] || refuse "CUDA_VISIBLE_DEVICES is empty: no GPU to measure on"
fi
sel=""
for r in 1 2 4 8; do [ "$r" -le "$n" ] && sel="${sel:+$sel|}$r"; done

mkdir -p "$out"
log="$out/gpu-scaling.log"
: > "$log"
bench="${BENCH:-}"
if [ -z "$bench" ]; then
  # shellcheck source=SCRIPTDIR/gpu-build-env.sh
  . "$root/scripts/gpu-build-env.sh"  # gpu_build, gpu_configure, gpu_build_targets; LD_LIBRARY_PATH
  [ -n "$gpu_torch_prefix" ] ||
    refuse "python3 cannot import torch: the build needs the pip PyTorch's LibTorch (NCCL); or set BENCH to a built mecrl_bench_agents"
  echo "gpu-scaling: building mecrl_bench_agents and the agent tests in $gpu_build (log: $log)" >&2
  { "${gpu_configure[@]}" && "${gpu_build_targets[@]}" mecrl mecrl_agent_tests mecrl_bench_agents; } >> "$log" 2>&1 || {
    grep -E 'error|FAILED' "$log" | tail -20; echo "gpu-scaling: the build failed (log: $log)" >&2; exit 1; }
  bench="$gpu_build/bench/mecrl_bench_agents"
  # The GPU ranks' tests before their speed: NCCL on 1 GPU, 2 GPU ranks agreeing.
  echo "gpu-scaling: DistributedCuda.* tests" >&2
  timeout 300 "$gpu_build/tests/mecrl_agent_tests" --gtest_filter='DistributedCuda.*' >> "$log" 2>&1 || {
    tail -30 "$log"; echo "gpu-scaling: a DistributedCuda test failed (log: $log)" >&2; exit 1; }
  grep -E '^\[ +(OK|SKIPPED) +\] DistributedCuda.* \([0-9]+ ms\)' "$log" >&2
else
  export LD_LIBRARY_PATH="$root/.deps/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
[ -x "$bench" ] || refuse "$bench is not an executable (BENCH)"

nvidia-smi topo -m > "$out/gpu-topology.txt" 2>&1 || true  # NVLink or PCIe: what the all-reduces cross
json="$out/bench_scaling_gpu.json"
echo "gpu-scaling: ranks ${sel//|/, } on ${n} GPU(s) (log: $log)" >&2
timeout 600 "$bench" --benchmark_filter="^BM_TrainDataParallelCuda/ranks:($sel)/" \
  --benchmark_out_format=json --benchmark_out="$json" >> "$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  tail -20 "$log"; echo "gpu-scaling: the benchmark failed (exit $status; log: $log)" >&2; exit 1
fi

python3 - "$json" "$n" "${gpus[0]}" "${#gpus[@]}" <<'PY'
import json, re, sys
path, n, model, total = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = json.load(open(path))["benchmarks"]
print(f"GPU: {model} ({n} of {total} used; topology in gpu-topology.txt)")
print(f"{'ranks':>5} {'user-slots/s':>13} {'per GPU':>10} {'speed-up':>9} {'efficiency':>11}")
failed, eff8 = 0, None
for b in runs:
    ranks = int(re.search(r"ranks:(\d+)", b["name"]).group(1))
    if b.get("error_occurred"):
        failed += 1
        print(f"{ranks:>5}  failed: {b.get('error_message', '?')}")
        continue
    rate, sp, eff = b["user_slots"], b.get("speedup"), b.get("efficiency")
    print(f"{ranks:>5} {rate:>13.3e} {rate / ranks:>10.3e} {'-' if sp is None else f'{sp:.2f}x':>9}"
          f" {'-' if eff is None else f'{eff:.3f}':>11}")
    if ranks == 8:
        eff8 = eff
verdict = ("not measured (fewer than 8 GPUs)" if eff8 is None and n < 8 else
           "not measured" if eff8 is None else "met" if eff8 >= 0.9 else "MISSED")
print(f"target: efficiency >= 0.90 at 8 GPUs (4,096 envs per GPU): {verdict}")
sys.exit(1 if failed else 0)
PY
