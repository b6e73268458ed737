#!/bin/bash
# Helpers for berth's system tests: every test runs berthd in a network
# namespace of its own, with its own data root and run dir, and cleans up
# (processes by PID, the netns, mounts, temp dirs) even when it fails.
set -u

PASSED=0
FAILED=0
CURRENT=""
TEST_ROOT=$(mktemp -d /tmp/berth-systest.XXXXXX)
BIN="$TEST_ROOT/bin"
NETNS="berth-test-$$"
BERTHD_PID=""

# The binaries, from the test's runfiles, into one directory: berthd finds
# its services beside itself.
# Outside Bazel, BERTH_BIN_DIR names a directory holding installed ones.
install_binaries() {
  mkdir -p "$BIN"
  if [ -n "${BERTH_BIN_DIR:-}" ]; then
    cp "$BERTH_BIN_DIR"/{berthd,berth-engine,berth-gateway,berth-daemon,berth-netd,berth-shim,berth} "$BIN/"
    return
  fi
  local runfiles="${RUNFILES_DIR:-$0.runfiles}/berth"
  cp "$runfiles/services/supervisor/berthd" \
     "$runfiles/services/engine/berth-engine" \
     "$runfiles/gateway/berth-gateway" \
     "$runfiles/services/daemon/berth-daemon" \
     "$runfiles/services/netd/berth-netd" \
     "$runfiles/services/shim/berth-shim" \
     "$runfiles/cli/berth" "$BIN/"
}

# Every process a test starts is recorded here, so the harness can stop
# it (and its children) by PID whatever happened inside the test.
PIDS_FILE="$TEST_ROOT/pids"
: >"$PIDS_FILE"

track() { echo "$1" >>"$PIDS_FILE"; }

kill_tracked() {
  local pid
  while read -r pid; do
    kill -9 $(pgrep -P "$pid") "$pid" 2>/dev/null
  done <"$PIDS_FILE"
  : >"$PIDS_FILE"
}

# Containers outlive berthd under their shims. Kill each container's init
# (its shim then records the exit, removes the cgroup and leaves), make
# sure the shims are gone, then unmount whatever is left below the test's
# root (rootfs views, network namespace pins), deepest first.
stop_containers() {
  local bundle pid
  for bundle in "$TEST_ROOT"/*/run*/containers/*/; do
    [ -f "$bundle/init.pid" ] && kill -9 "$(cat "$bundle/init.pid")" 2>/dev/null
  done
  for bundle in "$TEST_ROOT"/*/run*/containers/*/; do
    [ -f "$bundle/shim.pid" ] || continue
    pid=$(cat "$bundle/shim.pid")
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null
  done
  findmnt -rn -o TARGET | grep "^$TEST_ROOT/" | sort -r | xargs -r -n1 umount -l 2>/dev/null
  return 0
}

# The test's netns and any it made beside it ("$NETNS-NAME").
delete_netns() {
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep -x -- "$NETNS\(-.*\)\?"); do
    ip netns del "$ns" 2>/dev/null
  done
}

cleanup() {
  kill_tracked
  stop_containers
  delete_netns
  rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

# The pids of berthd's children (its services).
service_pids() { pgrep -P "$BERTHD_PID"; }

service_pid() { pgrep -P "$BERTHD_PID" -f "$1"; }

# Starts berthd in the test's netns with a fresh data root and run dir
# (an instance number keeps several apart). Extra args go to berthd.
# Sets DATA, RUN, SOCK, DOCKER_HOST, BERTHD_PID, BERTHD_LOG.
start_berthd() {
  local n=${INSTANCE:-0}
  DATA="$TEST_ROOT/$CURRENT/data$n"
  RUN="$TEST_ROOT/$CURRENT/run$n"
  SOCK="$RUN/docker.sock"
  BERTHD_LOG="$TEST_ROOT/berthd$n.log"
  export DOCKER_HOST="unix://$SOCK"
  nsenter --net="/run/netns/$NETNS" "$BIN/berthd" --data-root "$DATA" \
    --exec-root "$RUN" "$@" >"$BERTHD_LOG" 2>&1 &
  BERTHD_PID=$!
  track "$BERTHD_PID"
  wait_for "berthd answers" 20 docker_ping
}

docker_ping() {
  curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "timed out after ${seconds}s waiting for: $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

berth() { "$BIN/berth" --exec-root "$RUN" "$@"; }

in_netns() { nsenter --net="/run/netns/$NETNS" "$@"; }

fail() {
  echo "  FAIL [$CURRENT]: $*" >&2
  return 1
}

assert_eq() {
  [ "$1" == "$2" ] || fail "expected '$2', got '$1' ${3:-}"
}

assert_contains() {
  case "$1" in
    *"$2"*) return 0 ;;
  esac
  fail "expected to find '$2' in: $1"
}

assert_not_contains() {
  case "$1" in
    *"$2"*) fail "did not expect '$2' in: $1" ;;
  esac
  return 0
}

# run_test NAME FUNCTION: each test gets a fresh berthd setup of its own
# choosing and must leave nothing running.
run_test() {
  # TEST_FILTER (a substring of the name) runs a subset, for debugging.
  case "$1" in
    *"${TEST_FILTER:-}"*) ;;
    *) return 0 ;;
  esac
  CURRENT=$1
  echo "=== $1"
  ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  # A subshell, so `set -e` holds inside the test; not part of an ||
  # list, where bash would ignore it.
  ( set -e; "$2" )
  local status=$?
  kill_tracked
  stop_containers
  delete_netns
  if [ $status -eq 0 ]; then
    PASSED=$((PASSED + 1))
    echo "--- PASS $1"
  else
    FAILED=$((FAILED + 1))
    echo "--- FAIL $1"
    for log in "$TEST_ROOT"/berthd*.log; do
      [ -f "$log" ] && { echo "----- $log"; tail -n 40 "$log"; }
    done
  fi
  rm -f "$TEST_ROOT"/berthd*.log
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
