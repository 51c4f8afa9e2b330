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
# and exports LD_LIBRARY_PATH (.deps' libraries first) and TORCH_CUDA_ARCH_LIST.
gpu_build="${MECRL_GPU_BUILD_DIR:-$root/build-gpu}"
export LD_LIBRARY_PATH="$root/.deps/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
# The wheel's CMake package needs the GPU architectures spelled out (CMake
# 3.25 cannot run its detection); cmake/Torch.cmake derives it too.
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
gpu_arch="${CUDA_ARCH:-$(echo "$TORCH_CUDA_ARCH_LIST" | cut -d' ' -f1 | tr -d .)}"
gpu_torch_prefix="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)"
gpu_configure=(cmake -S "$root" -B "$gpu_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMECRL_CUDA=ON
               -DCMAKE_CUDA_ARCHITECTURES="$gpu_arch" -DCMAKE_PREFIX_PATH="$root/.deps/root/usr;$gpu_torch_prefix")
gpu_build_targets=(cmake --build "$gpu_build" -j "$(nproc)" --target)
