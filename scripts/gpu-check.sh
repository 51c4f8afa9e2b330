#!/usr/bin/env bash
# On the GPU machine: build the CUDA path against its LibTorch (PyTorch's),
# run the GPU tests and the benchmarks, and write results as JSON.
#   prepare here:   ../shared/device/carry-debs.sh      (Debian C++ packages into .deps/)
#   run there:      scripts/gpu-check.sh                (device tool: carry [".deps"])
# Results land in $OUT (the device tool's output folder) or ./gpu-results.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-results}"
mkdir -p "$out"
cd "$root"
export LD_LIBRARY_PATH="$root/.deps/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
torch_prefix="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')"
{ nvidia-smi; python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda, "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI)'; } \
  > "$out/device.txt" 2>&1 || true
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMECRL_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" \
  -DCMAKE_PREFIX_PATH="$root/.deps/root/usr;$torch_prefix" > "$out/configure.log" 2>&1 || { tail -50 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j "$(nproc)" > "$out/build.log" 2>&1 || { grep -E 'error|FAILED' "$out/build.log" | tail -40; exit 1; }
# GPU tests (CPU-vs-GPU trajectories, GPU training smoke), then everything else.
ctest --test-dir build-gpu -R 'Cuda|Gpu' --output-on-failure --output-junit "$out/gpu-tests.xml" 2>&1 | tee "$out/gpu-tests.log" || true
./build-gpu/bench/mecrl_bench --benchmark_filter='Cuda' --benchmark_format=json --benchmark_out="$out/bench_env_gpu.json" > /dev/null
./build-gpu/bench/mecrl_bench --benchmark_filter='OffloadStepCpu' --benchmark_format=json --benchmark_out="$out/bench_env_cpu.json" > /dev/null
./build-gpu/bench/mecrl_bench_agents --benchmark_format=json --benchmark_out="$out/bench_train.json" > /dev/null
python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
for name in ("bench_env_gpu.json", "bench_env_cpu.json", "bench_train.json"):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        continue
    for b in json.load(open(path))["benchmarks"]:
        if b.get("error_occurred"):
            continue
        print(f'{b["name"]:<45} user_slots/s {b.get("user_slots", 0):12.4g}  env_steps/s {b.get("env_steps", 0):12.4g}  decisions/s {b.get("decisions", 0):10.4g}')
PY
