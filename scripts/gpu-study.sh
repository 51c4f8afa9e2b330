#!/usr/bin/env bash
# The GPU preset's learning target (issue 13), in one command on the GPU
# machine after scripts/gpu-check.sh has built build-gpu/: 3 seeds of
# configs/offload_ppo_gpu.yaml at N = 200, 60 s of training each
# (train.time_limit_s), then the spec's evaluation of each checkpoint
# (configs/offload.yaml: completion-timed costs, 32 episodes x 2400 slots,
# first 480 excluded) and of the `offload` baseline. Target: all three
# constraints met, mean latency <= 60 s, for every seed.
# Budget: ~4 minutes (3 x 60 s training + evaluations on the CPU cores).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-results}"
bin="${MECRL_GPU_BUILD_DIR:-$root/build-gpu}/apps/mecrl"
export LD_LIBRARY_PATH="$root/.deps/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
mkdir -p "$out/study"
cd "$root"
log="$out/gpu-study.log"
: > "$log"
for seed in 1 2 3; do
  timeout 100 "$bin" train --config configs/offload_ppo_gpu.yaml env.num_users=200 seed=$seed \
    train.time_limit_s=60 train.runs_dir="$out/study" train.name=gpu_preset >> "$log" 2>&1 \
    || echo "seed $seed: training failed (exit $?)" >> "$log"
done
evals=()
for run in "$out"/study/gpu_preset__*; do
  seed="$(basename "$run" | cut -d_ -f5)"
  "$bin" eval --config configs/offload.yaml env.num_users=200 --policy "$run/checkpoints/last" \
    --episodes 32 --json --label "gpu_preset_s$seed" > "$out/study/eval_s$seed.json" 2>> "$log" &
  evals+=($!)
done
"$bin" eval --config configs/offload.yaml env.num_users=200 --policy offload --episodes 32 --json \
  > "$out/study/eval_offload.json" 2>> "$log" &
wait
python3 - "$out/study" <<'PY' | tee "$out/gpu-study-summary.txt"
import glob, json, os, sys
d = sys.argv[1]
for path in sorted(glob.glob(os.path.join(d, "eval_*.json"))):
    r = json.load(open(path))
    m = r.get("metrics", r)
    get = lambda k: m.get(k, {}).get("mean", m.get(k)) if isinstance(m.get(k), dict) else m.get(k)
    print(f"{os.path.basename(path):<22} latency_mean_s {get('latency_mean_s')}  satisfied_all {get('satisfied_all')}"
          f"  accuracy {get('accuracy')}  device_power_w {get('device_power_w')}")
for run in sorted(glob.glob(os.path.join(d, "gpu_preset__*"))):
    rows = open(os.path.join(run, "metrics.csv")).read().splitlines()
    print(f"{os.path.basename(run)}: {len(rows) - 1} iterations logged")
PY
