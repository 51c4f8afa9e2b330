#!/usr/bin/env bash
# Configures (once) and builds mecrl into build/. Quiet unless something fails:
# stdout stays clean for `./mecrl eval --json`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MECRL_BUILD_DIR:-$root/build}"
mkdir -p "$build"
log="$build/build.log"
if [ ! -f "$build/build.ninja" ]; then
  "$root/scripts/bootstrap.sh"
  echo "mecrl: configuring and building in $build (first build: a few minutes; log: $log)" >&2
  if ! cmake -S "$root" -B "$build" -G Ninja ${MECRL_CMAKE_ARGS:-} > "$log" 2>&1; then
    tail -n 40 "$log" >&2; exit 1
  fi
fi
if ! cmake --build "$build" -j "$(nproc)" >> "$log" 2>&1; then
  grep -E 'error|FAILED' "$log" | tail -n 20 >&2
  echo "mecrl: build failed, see $log" >&2
  exit 1
fi
