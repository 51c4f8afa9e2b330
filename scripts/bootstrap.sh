#!/usr/bin/env bash
# Installs what mecrl needs on a Debian 12 machine, saying what before doing it.
#   scripts/bootstrap.sh            Debian packages for building (C++ libraries, LibTorch CPU)
#   scripts/bootstrap.sh --python   also the Python virtualenv .venv for the cross-check tests
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian package -> why
#   cmake ninja-build g++        build tools
#   libfmt-dev libyaml-cpp-dev   formatting, YAML configs
#   libcli11-dev                 the command line
#   nlohmann-json3-dev           JSON (reports, safetensors headers)
#   libgtest-dev libbenchmark-dev  tests and benchmarks
#   libtorch-dev                 LibTorch 1.13 (CPU) for the agents
#   libonnx-dev libprotobuf-dev  `mecrl export` writes policy.onnx with ONNX's own protobuf
#                                classes and runs ONNX's checker (deploy/onnx_actor.cpp)
#   python3-venv                 virtualenv for the Python cross-checks
packages=(cmake ninja-build g++ libfmt-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
          libgtest-dev libbenchmark-dev libtorch-dev libonnx-dev libprotobuf-dev python3-venv)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "mecrl: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ "${1:-}" = "--python" ]; then
  req="$root/tests/python/requirements.txt"
  stamp="$root/.venv/.requirements.sha256"
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ ! -x "$root/.venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "mecrl: creating .venv with $(grep -v '^#' "$req" | tr '\n' ' ')(pip, pinned in tests/python/requirements.txt)" >&2
    rm -rf "$root/.venv"
    python3 -m venv "$root/.venv" >&2 || /usr/bin/python3 -m venv "$root/.venv" >&2
    "$root/.venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
    echo "$want" > "$stamp"
  fi
fi
