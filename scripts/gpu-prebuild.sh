#!/usr/bin/env bash
# Builds the GPU check's binaries on this machine (nvcc 13 and the pip
# LibTorch in .venv-torch/, the same torch 2.11.0 cu130 the GPU machine has)
# and puts them in .gpubin/, which scripts/gpu-check.sh and gpu-study.sh use
# instead of building there: the device README's recipe B, ~2.5 minutes of
# device time saved. If the binaries do not run there, the scripts build.
#
#   scripts/gpu-prebuild.sh        then the device tool: carry [".deps", ".gpubin"], scripts/gpu-check.sh
#
# The build runs in a git worktree of HEAD at a fixed path (MECRL_PREBUILD_SRC,
# default /tmp/mecrl-src): the tests find configs/ and the mecrl binary by the
# source path compiled in, and the device scripts link that path to their tree.
# Commit first: what is built is HEAD, not the working tree. ONNX export is left
# out (the GPU machine has no libonnx). First build ~30 minutes on two cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${MECRL_PREBUILD_SRC:-/tmp/mecrl-src}"
cd "$root"
[ -x .venv-torch/bin/python ] || scripts/bootstrap.sh --torch-pip
if [ ! -d "$src" ]; then
  git worktree add --detach "$src" HEAD
else
  git -C "$src" checkout --detach -q "$(git rev-parse HEAD)"
fi
prefix="$(.venv-torch/bin/python -c 'import torch;print(torch.utils.cmake_prefix_path)')"
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
build="$src/build-gpu"
targets=(mecrl mecrl_cuda_tests mecrl_agent_tests mecrl_bench mecrl_bench_agents)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMECRL_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="$(echo "$TORCH_CUDA_ARCH_LIST" | cut -d' ' -f1 | tr -d .)" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_DISABLE_FIND_PACKAGE_ONNX=ON -DCMAKE_DISABLE_FIND_PACKAGE_Protobuf=ON
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
grep -qx '/.gpubin/' .git/info/exclude 2>/dev/null || echo '/.gpubin/' >> .git/info/exclude
rm -rf .gpubin
mkdir -p .gpubin/apps .gpubin/tests .gpubin/bench
strip -o .gpubin/apps/mecrl "$build/apps/mecrl"
for t in mecrl_cuda_tests mecrl_agent_tests; do strip -o ".gpubin/tests/$t" "$build/tests/$t"; done
for b in mecrl_bench mecrl_bench_agents; do strip -o ".gpubin/bench/$b" "$build/bench/$b"; done
# Our shared library (the deployment runtime), where the binaries' RUNPATH
# looks: <source_dir>/build-gpu/deploy, i.e. .gpubin/deploy once linked there.
mkdir -p .gpubin/deploy
cp -P "$build"/deploy/libmecrl_policy.so* .gpubin/deploy/
echo "$src" > .gpubin/source_dir
git -C "$src" rev-parse --short HEAD > .gpubin/commit
du -sh .gpubin | sed 's/^/gpu-prebuild: /'
