#!/bin/bash
# Sets everything up, installs berth into /usr/local and runs berthd in the
# foreground with its defaults (API on unix:///run/berth/docker.sock).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh
deploy/install.sh /usr/local
echo "berthd starting; in another shell: export DOCKER_HOST=unix:///run/berth/docker.sock"
exec /usr/local/bin/berthd "$@"
