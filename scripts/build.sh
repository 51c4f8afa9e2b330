#!/usr/bin/env bash
# Configures (once) and builds mecrl into build/. Quiet unless something fails:
# stdout stays clean for `./mecrl eval --json`.
#   MECRL_BUILD_DIR      build directory (default build/)
#   MECRL_CMAKE_ARGS     extra arguments for the first configure
#   MECRL_BUILD_TARGETS  build only these targets (default: all)
#   MECRL_TORCH          which LibTorch the first configure uses: `debian` (default:
#                        libtorch-dev, installed if missing), `python` (the torch of the
#                        python3 on PATH, e.g. a pip install), or a CMake prefix directory
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MECRL_BUILD_DIR:-$root/build}"
mkdir -p "$build"
log="$build/build.log"
if [ ! -f "$build/build.ninja" ]; then
  "$root/scripts/bootstrap.sh"
  torch_args=()
  case "${MECRL_TORCH:-debian}" in
    debian) ;;
    python) torch_args=("-DCMAKE_PREFIX_PATH=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')") ;;
    *) torch_args=("-DCMAKE_PREFIX_PATH=$MECRL_TORCH") ;;
  esac
  echo "mecrl: configuring and building in $build (first build: a few minutes; log: $log)" >&2
  if ! cmake -S "$root" -B "$build" -G Ninja "${torch_args[@]}" ${MECRL_CMAKE_ARGS:-} > "$log" 2>&1; then
    tail -n 40 "$log" >&2; exit 1
  fi
fi
targets=()
for t in ${MECRL_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
if ! cmake --build "$build" -j "$(nproc)" "${targets[@]}" >> "$log" 2>&1; then
  grep -E 'error|FAILED' "$log" | tail -n 20 >&2
  echo "mecrl: build failed, see $log" >&2
  exit 1
fi
