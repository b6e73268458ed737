#!/bin/bash
# Sets everything up and runs every test (unit, service and system) with
# Bazel; ends with a "N passed, N failed" line counting test targets.
set -uo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh || exit 1
log=$(mktemp)
bazel test --test_summary=short //... 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE '^//.* PASSED in' "$log")
failed=$(grep -cE '^//.* (FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD)' "$log")
rm -f "$log"
echo "$passed passed, $failed failed"
exit "$status"
