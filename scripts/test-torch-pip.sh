#!/usr/bin/env bash
# The second half of `./mecrl test`: builds the LibTorch side of mecrl against
# the pip wheel's LibTorch (torch==2.11.0, the one the GPU machine has; CPU here)
# in build-torch-pip/, and runs on it what depends on LibTorch: the agent
# tests, the command-line train/eval/resume smoke (label `agents`) and the
# audit of which library every standard-library symbol binds to
# (tests/python/test_std_bindings.py). See cmake/Torch.cmake for why.
#   scripts/test-torch-pip.sh [ctest args]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MECRL_PIP_BUILD_DIR:-$root/build-torch-pip}"
"$root/scripts/bootstrap.sh" --torch-pip
prefix="$("$root/.venv-torch/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
echo "mecrl: building against the pip LibTorch ($prefix) in $build" >&2
MECRL_BUILD_DIR="$build" MECRL_TORCH="$prefix" \
MECRL_BUILD_TARGETS="mecrl mecrl_agent_tests mecrl_bench_agents" \
  "$root/scripts/build.sh"
exec ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -L agents "$@"
