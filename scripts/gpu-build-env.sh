# shellcheck shell=bash disable=SC2034  # sourced; the callers use the variables
# Sourced by the GPU scripts (gpu-check.sh, gpu-scaling.sh): the environment,
# configure and build commands of the GPU build, against the pip PyTorch's
# LibTorch (CUDA and NCCL) and the C++ packages carried in .deps/ where the
# machine lacks them (../shared/device/README.md). Expects $root, the source
# tree. Sets
#   gpu_build          the build directory (MECRL_GPU_BUILD_DIR, default build-gpu/)
#   gpu_torch_prefix   the PyTorch's CMake prefix ("" when python3 cannot import torch)
#   gpu_configure      the configure command:        "${gpu_configure[@]}"
#   gpu_build_targets  the build command, less the targets: "${gpu_build_targets[@]}" mecrl ...
#   gpu_prebuilt       1 when gpu_build holds binaries built elsewhere that run here (.gpubin/, below)
# and exports LD_LIBRARY_PATH (.deps' libraries first, then the wheel's) and TORCH_CUDA_ARCH_LIST.
#
# Binaries built on another machine (scripts/gpu-prebuild.sh, the device
# README's recipe B: saves the ~2.5 minutes of device time a build costs)
# arrive in .gpubin/ with a build directory's layout and the source path they
# were compiled with (.gpubin/source_dir: tests find configs/ and the mecrl
# binary through it). They are linked into place; a build directory of real
# files is never replaced.
gpu_build="${MECRL_GPU_BUILD_DIR:-$root/build-gpu}"
gpu_torch_prefix="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)"
# The wheel's libraries: prebuilt binaries carry the RUNPATH of the machine
# that built them, so the loader must find libtorch*, libc10* and NCCL here.
gpu_torch_libs=""
if [ -n "$gpu_torch_prefix" ]; then
  _site="$(dirname "$(dirname "$(dirname "$gpu_torch_prefix")")")"  # .../site-packages
  gpu_torch_libs="$_site/torch/lib"
  for _d in "$_site"/nvidia/*/lib; do [ -d "$_d" ] && gpu_torch_libs="$gpu_torch_libs:$_d"; done
fi
export LD_LIBRARY_PATH="$root/.deps/root/usr/lib/x86_64-linux-gnu${gpu_torch_libs:+:$gpu_torch_libs}:${LD_LIBRARY_PATH:-}"
gpu_prebuilt=0
if [ -f "$root/.gpubin/source_dir" ] && { [ ! -e "$gpu_build" ] || [ -L "$gpu_build" ]; }; then
  ln -sfn "$root/.gpubin" "$gpu_build"
  _src="$(cat "$root/.gpubin/source_dir")"
  # A link to here, unless the path is real (the machine that built them).
  if [ "$_src" != "$root" ] && { [ -L "$_src" ] || [ ! -e "$_src" ]; }; then ln -sfn "$root" "$_src"; fi
  if "$gpu_build/apps/mecrl" --version > /dev/null 2>&1 &&
     "$gpu_build/tests/mecrl_cuda_tests" --gtest_list_tests > /dev/null 2>&1; then
    gpu_prebuilt=1
  else
    echo "gpu-build-env: the binaries in .gpubin/ do not run here; building instead:" >&2
    "$gpu_build/apps/mecrl" --version 2>&1 | head -3 >&2
    rm -f "$gpu_build"
  fi
fi
# The wheel's CMake package needs the GPU architectures spelled out (CMake
# 3.25 cannot run its detection); cmake/Torch.cmake derives it too.
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
gpu_arch="${CUDA_ARCH:-$(echo "$TORCH_CUDA_ARCH_LIST" | cut -d' ' -f1 | tr -d .)}"
gpu_configure=(cmake -S "$root" -B "$gpu_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMECRL_CUDA=ON
               -DCMAKE_CUDA_ARCHITECTURES="$gpu_arch" -DCMAKE_PREFIX_PATH="$root/.deps/root/usr;$gpu_torch_prefix")
gpu_build_targets=(cmake --build "$gpu_build" -j "$(nproc)" --target)
