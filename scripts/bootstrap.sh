#!/usr/bin/env bash
# Installs what mecrl needs on a Debian 12 machine, saying what before doing it.
#   scripts/bootstrap.sh            Debian packages for building (C++ libraries, LibTorch CPU)
#   scripts/bootstrap.sh --python   also the Python virtualenv .venv for the cross-check tests and `mecrl report`
#   scripts/bootstrap.sh --torch-pip  also .venv-torch: the pip LibTorch (torch==2.11.0, as on the
#                                   GPU machine) that scripts/test-torch-pip.sh builds against
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian package -> why
#   cmake ninja-build g++        build tools
#   libfmt-dev libyaml-dev       formatting, YAML configs (libyaml: linear-time event parser)
#   libyaml-cpp-dev              the tests' independent YAML reader (config.yaml, the catalogue)
#   libcli11-dev                 the command line
#   nlohmann-json3-dev           JSON (reports, safetensors headers)
#   libgtest-dev libbenchmark-dev  tests and benchmarks
#   libtorch-dev                 LibTorch 1.13 (CPU) for the agents
#   libopenblas0-openmp          the BLAS behind libtorch-dev's matrix products: Debian's LibTorch links
#                                libblas.so.3, which is the netlib reference BLAS unless an optimised one
#                                provides that alternative. Measured here (one core, GRU step on 192,000
#                                rows, hidden 128): 8.7 s reference, 1.1 s OpenBLAS. The OpenMP build, as
#                                LibTorch's threads are OpenMP's (`threads=` sets both)
#   libgloo-dev                  headers of the gloo that Debian's LibTorch is built with (libgloo0,
#                                same version): c10d's ProcessGroupGloo.hpp includes them, for
#                                data-parallel training (agents/process_group_gloo.cpp)
#   libonnx-dev libprotobuf-dev  `mecrl export` writes policy.onnx with ONNX's own protobuf
#                                classes and runs ONNX's checker (deploy/onnx_actor.cpp)
#   python3-venv                 virtualenv for the Python cross-checks
packages=(cmake ninja-build g++ libfmt-dev libyaml-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
          libgtest-dev libbenchmark-dev libonnx-dev libprotobuf-dev python3-venv)
# LibTorch from Debian unless the build uses another one (scripts/build.sh: MECRL_TORCH).
[ "${MECRL_TORCH:-debian}" = "debian" ] && packages+=(libtorch-dev libgloo-dev libopenblas0-openmp)

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

# make_venv <dir> <requirements file> [pip options]: (re)creates the virtualenv
# when it is missing or the requirements (with the files they include by
# `-r`) changed since it was made.
make_venv() {
  local venv="$1" req="$2"
  shift 2
  local files=("$req") inc stamp="$venv/.requirements.sha256" want
  while read -r inc; do files+=("$(realpath "$(dirname "$req")/$inc")"); done < <(sed -n 's/^-r[[:space:]]*//p' "$req")
  want="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "mecrl: creating ${venv#"$root"/} with $(cat "${files[@]}" | grep -v -e '^#' -e '^-r' | tr '\n' ' ')(pip, pinned in" \
         "${files[*]#"$root"/})" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || /usr/bin/python3 -m venv "$venv" >&2
    # No cache: it would keep a second copy of every wheel (~2.5 GB for the pip LibTorch).
    "$venv/bin/pip" install -q --no-cache-dir --disable-pip-version-check "$@" -r "$req" >&2
    echo "$want" > "$stamp"
  fi
}

case "${1:-}" in
  --python) make_venv "$root/.venv" "$root/tests/python/requirements.txt" ;;
  # Every package pinned in the file, nothing resolved beyond it (~3.6 GB: the
  # CUDA runtime wheels libtorch_cuda.so needs at load time, even on a CPU).
  --torch-pip) make_venv "$root/.venv-torch" "$root/scripts/requirements-torch-pip.txt" --no-deps ;;
  "") ;;
  *) echo "usage: scripts/bootstrap.sh [--python | --torch-pip]" >&2; exit 2 ;;
esac
