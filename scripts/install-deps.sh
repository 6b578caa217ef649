#!/usr/bin/env bash
# Installs every Debian 12 package that leopard-dse needs to build, test, benchmark and draw figures.
# Idempotent: quiet and fast when everything is already present. Run as root (or with sudo).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config git clang-format
  # libraries (found by CMakeLists.txt with find_package only)
  libboost-graph-dev libeigen3-dev libcli11-dev libsqlite3-dev sqlite3 catch2
  libyaml-cpp-dev nlohmann-json3-dev libfmt-dev libpagmo-dev libtbb-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libbenchmark-dev
  # fuzzing (`make fuzz`, scripts/fuzz.sh): clang 14 with libFuzzer's runtime
  clang-14 libclang-rt-14-dev
  # notebooks (call /usr/bin/python3 and /usr/bin/jupyter explicitly)
  python3-matplotlib python3-pandas python3-nbconvert python3-nbclient python3-ipykernel
  jupyter-nbconvert python3-numpy
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
