#!/bin/bash
# Builds every berth binary and installs it into PREFIX/bin (default
# /usr/local). berthd finds its services beside itself.
set -euo pipefail
prefix=${1:-/usr/local}
cd "$(dirname "$0")/.."
targets=(
  //services/supervisor:berthd
  //services/engine:berth-engine
  //gateway:berth-gateway
  //services/daemon:berth-daemon
  //services/netd:berth-netd
  //services/shim:berth-shim
  //cli:berth
)
bazel build "${targets[@]}"
install -d "$prefix/bin"
bin=$(bazel info bazel-bin)
for target in "${targets[@]}"; do
  path=${target#//}
  install -m 0755 "$bin/${path%%:*}/${path##*:}" "$prefix/bin/"
done
echo "installed berthd, berth-engine, berth-gateway, berth-daemon, berth-netd, berth-shim and berth into $prefix/bin"
