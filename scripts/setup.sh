#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of NearFaaS from Debian 12
# packages. Idempotent; run as root (or with sudo available) on a fresh machine.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  # WebAssembly: wabt (libwabt, wasm2c, wast2json), guest toolchain for wasm32-wasi
  wabt clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32
  libclang-rt-19-dev-wasm32
  # libraries
  libssl-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libcli11-dev libboost-dev
  # header-only libraries of the ndp/ functions (func/CMakeLists.txt)
  libstb-dev libeigen3-dev
  # Ceph: a local single-host cluster (scripts/ceph.sh) and librados for the RADOS store
  ceph-mon ceph-osd ceph-common librados-dev libradospp-dev
  # tests, benchmarks and the demo (iproute2: ip netns, tc for the NDP topology)
  curl iproute2 procps
  libgtest-dev libgmock-dev libbenchmark-dev wrk
  redis-server libhiredis-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
