#!/bin/bash
# Installs everything berth needs to build, run and test on Debian 12, from
# Debian's packages only. Idempotent: installs only what is missing.
set -euo pipefail

packages=(
  # build
  bazel-bootstrap bazel-rules-java g++ git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libgoogle-glog-dev libgflags-dev libgtest-dev libgmock-dev
  libboost-dev libssl-dev nlohmann-json3-dev libarchive-dev libseccomp-dev
  libnl-3-dev libnl-route-3-dev
  clang-format
  # run and test
  iproute2 iptables util-linux procps curl openssl python3 ca-certificates kmod
  systemd busybox-static
  # containers: the oci exec driver's runtime, --init
  runc tini
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
    grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# berthd --icc=false needs bridged traffic to meet iptables, which takes
# br_netfilter; Debian does not load it by default.
if [ ! -d /proc/sys/net/bridge ]; then
  modprobe br_netfilter ||
    echo "setup: warning: cannot load br_netfilter; berthd --icc=false will refuse to start"
fi

# The system tests drive the real docker CLI (v28 on berth's machines, in
# /usr/local/bin). Without one, Debian's docker.io provides a client.
if ! command -v docker >/dev/null; then
  echo "setup: no docker CLI found; installing Debian's docker.io for its client"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io >/dev/null
fi

# Bazel's caches live outside the workspace, so a fresh clone reuses them.
mkdir -p /var/cache/berth/bazel-disk /var/cache/berth/bazel-repo
