#!/usr/bin/env bash
# bench_lib.sh — what berth's benchmarks share: timing and statistics
# helpers, the summary table, berthd in a netns of its own, and the peer
# dockerd of /work/shared/peers. Sourced after the script has set N and
# its own knobs; the settings below are the common ones.

PEERS=${PEERS:-/work/shared/peers}
BIN_DIR=${BERTH_BIN_DIR:-/tmp/berth-inst/bin}
DOCKER=${DOCKER_CLI:-$(command -v docker || true)}

BENCH_LIB=/var/lib/berth-bench
BENCH_RUN=/run/berth-bench
OUT=${OUT:-$BENCH_LIB/results/$(date +%Y%m%d-%H%M%S)}
SUMMARY=$OUT/summary.tsv
WORK=$BENCH_LIB/work.$$          # the script's scratch files
DATA=$BENCH_LIB/data.$$          # berthd --data-root
RUN=$BENCH_RUN/run.$$            # berthd --exec-root
NETNS=berth-bench-$$
BERTH_SOCK=$RUN/docker.sock
PEER_SOCK=/run/peerbench/docker.sock
CLK_TCK=$(getconf CLK_TCK)

BERTHD_PID=""
NETNS_MADE=0
PEER=0             # 1: the peer dockerd answers and is measured
PEER_NOTE=""       # why it is not, when it is not
PEER_SETUP_RAN=0
declare -A PEER_ALIVE_BEFORE=()

# ---------------------------------------------------------------- helpers
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_us() { local t=$EPOCHREALTIME; echo $((${t/./} + 0)); }
secs() { awk -v us="$1" 'BEGIN { print us / 1e6 }'; }

# wait_for SECONDS CMD...: poll CMD every 20 ms until it succeeds
wait_for() {
  local end=$(($(now_us) + $1 * 1000000)); shift
  until "$@" >/dev/null 2>&1; do (($(now_us) < end)) || return 1; sleep 0.02; done
}

# numbers on stdin -> "median min max n" (median of an even count: mean of the two middle ones)
stats() {
  sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "nan nan nan 0"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.6g %.6g %.6g %d\n", m, v[1], v[NR], NR }'
}
# percentile P of the numbers on stdin (nearest rank)
pct() { sort -g | awk -v p="$1" '{v[NR] = $1} END { if (!NR) { print "nan"; exit }
  i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.6g\n", v[i] }'; }

# emit GROUP TOOL METRIC "MEDIAN MIN MAX N" [FAILS] [EXTRA]  -> one summary.tsv row
emit() {
  local s; read -r -a s <<<"$4"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${s[0]}" "${s[1]}" "${s[2]}" "${s[3]}" \
    "${5:-0}" "${6:-}" >>"$SUMMARY"
}
# median of a summary row (GROUP TOOL METRIC), empty if absent
median_of() { awk -F'\t' -v g="$1" -v t="$2" -v m="$3" '$1==g && $2==t && $3==m {print $4}' "$SUMMARY"; }

bdocker() { DOCKER_HOST="unix://$BERTH_SOCK" "$DOCKER" "$@"; }
pdocker() { DOCKER_HOST="unix://$PEER_SOCK" "$DOCKER" "$@"; }
berth_ping() { curl -sf --max-time 5 --unix-socket "$BERTH_SOCK" http://d/_ping; }
peer_ping() { curl -sf --max-time 5 --unix-socket "$PEER_SOCK" http://d/_ping; }

# utime+stime+cutime+cstime (ticks) summed over pids
cpu_ticks() {
  local p sum=0 t
  for p in "$@"; do t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null) || t=0; sum=$((sum + t)); done
  echo "$sum"
}
berth_pids() { [[ -n $BERTHD_PID ]] && { echo "$BERTHD_PID"; pgrep -P "$BERTHD_PID" || true; }; }
peer_pids() {
  local p
  p=$(pb_pid_alive "$DOCKERD_PIDFILE") && echo "$p"
  p=$(pb_pid_alive "$CONTAINERD_PIDFILE") && echo "$p"
  return 0
}

# stop_pid PID [SECONDS]: SIGTERM, wait until gone (or a zombie), SIGKILL after SECONDS (30)
stop_pid() {
  local p=$1 end st
  end=$(($(now_us) + ${2:-30} * 1000000))
  kill -TERM "$p" 2>/dev/null || return 0
  while st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) && [[ -n $st && $st != Z ]]; do
    if (($(now_us) > end)); then log "pid $p ignored SIGTERM; SIGKILL"; kill -KILL "$p" 2>/dev/null; break; fi
    sleep 0.02
  done
  return 0
}

# ---------------------------------------------------------------- berth side
start_berthd() {
  [[ -x $BIN_DIR/berthd ]] || die "no berthd in $BIN_DIR (set BERTH_BIN_DIR, or deploy/install.sh DIR)"
  ip netns add "$NETNS"; NETNS_MADE=1
  ip -n "$NETNS" link set lo up
  mkdir -p "$DATA" "$RUN"
  local extra=(); read -r -a extra <<<"${BERTHD_ARGS:-}"   # e.g. BERTHD_ARGS=--debug
  # nsenter execs berthd (no --fork), so $! is berthd itself
  nsenter --net="/run/netns/$NETNS" "$BIN_DIR/berthd" --data-root "$DATA" --exec-root "$RUN" \
    --storage-driver overlay "${extra[@]}" </dev/null >"$OUT/berthd.log" 2>&1 &
  BERTHD_PID=$!
  wait_for 30 berth_ping || die "berthd did not answer; see $OUT/berthd.log"
  log "berthd pid $BERTHD_PID in netns $NETNS, data root $DATA"
}

stop_berthd() {
  [[ -n $BERTHD_PID ]] || return 0
  local kids; kids=$(pgrep -P "$BERTHD_PID" || true)
  log "stopping berthd (pid $BERTHD_PID)"
  stop_pid "$BERTHD_PID" 30
  wait "$BERTHD_PID" 2>/dev/null || true
  # services berthd should have stopped itself; only ours (their args name our run dir)
  local p
  for p in $kids; do
    if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF "$RUN/"; then log "leftover service pid $p"; stop_pid "$p" 5; fi
  done
  BERTHD_PID=""
}


unmount_below() { # unmount everything mounted at or below the given dirs, deepest first
  local d
  for d in "$@"; do
    findmnt -rn -o TARGET | awk -v d="$d" 'index($0, d) == 1 && (length($0) == length(d) || substr($0, length(d) + 1, 1) == "/")' |
      sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  done
}

# ---------------------------------------------------------------- peer side
setup_peer() {
  if [[ ${NO_PEER:-0} == 1 ]]; then PEER_NOTE="dockerd not measured: NO_PEER=1"; return 0; fi
  if [[ ! -r $PEERS/lib.sh ]]; then PEER_NOTE="dockerd not measured: no $PEERS/lib.sh"; return 0; fi
  # shellcheck source=/dev/null
  . "$PEERS/lib.sh"; unset DOCKER_HOST   # its paths and pid helpers; we name the socket ourselves
  PEER_SOCK=$DOCKER_SOCK
  local n f
  for n in containerd dockerd podman; do
    f=$CONTAINERD_PIDFILE; [[ $n == dockerd ]] && f=$DOCKERD_PIDFILE; [[ $n == podman ]] && f=$PODMAN_PIDFILE
    pb_pid_alive "$f" >/dev/null && PEER_ALIVE_BEFORE[$n]=1
  done
  if ! peer_ping >/dev/null; then
    log "peer dockerd does not answer: running $PEERS/setup.sh install dockerd (log: $OUT/peer-setup.log)"
    PEER_SETUP_RAN=1
    if ! "$PEERS/setup.sh" install dockerd >"$OUT/peer-setup.log" 2>&1 || ! peer_ping >/dev/null; then
      PEER_NOTE="dockerd not measured: $PEERS/setup.sh failed ($(tail -n1 "$OUT/peer-setup.log" 2>/dev/null))"
      return 0
    fi
  fi
  PEER=1
  remove_peer_images   # leftovers of an interrupted run
}

remove_peer_images() {
  ((PEER)) || return 0
  local ids
  ids=$(pdocker images -q --no-trunc --filter 'reference=bench/*' 2>/dev/null | sort -u) || true
  [[ -z $ids ]] || { log "removing bench/* images from the peer dockerd"; xargs -r "$DOCKER" -H "unix://$PEER_SOCK" rmi -f <<<"$ids" >/dev/null 2>&1 || true; }
}

teardown_peer() {
  ((PEER_SETUP_RAN)) || return 0
  if ((${#PEER_ALIVE_BEFORE[@]} == 0)); then
    log "stopping the peers (they were not running before): $PEERS/teardown.sh"
    "$PEERS/teardown.sh" >>"$OUT/peer-teardown.log" 2>&1 || log "teardown.sh failed; see $OUT/peer-teardown.log"
  else # something ran before: stop only what setup.sh started now
    local p
    [[ -n ${PEER_ALIVE_BEFORE[dockerd]:-} ]] || { p=$(pb_pid_alive "$DOCKERD_PIDFILE") && stop_pid "$p" 60; }
    [[ -n ${PEER_ALIVE_BEFORE[containerd]:-} ]] || { p=$(pb_pid_alive "$CONTAINERD_PIDFILE") && stop_pid "$p" 60; }
  fi
  return 0
}

# ---------------------------------------------------------------- report helpers
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "-"; else print (r >= t ? "met" : "MISSED") }'; }
add_ratio() { # NAME VALUE TARGET
  printf 'ratio\t%s\t%s\t%s\t\t\t\t\ttarget >= %s: %s\n' "${1%% *}" "${1#* }" "$2" "$3" "$(verdict "$2" "$3")" >>"$SUMMARY"
}

# ---------------------------------------------------------------- cleanup
remove_containers() { # DOCKER-FUNCTION: every container this run labelled ($LABEL)
  local ids
  ids=$("$1" ps -aq --filter "label=$LABEL" 2>/dev/null) || return 0
  # shellcheck disable=SC2086  # one ID per word
  [[ -z $ids ]] || "$1" rm -f $ids >/dev/null 2>&1 || true
}

# What every benchmark undoes on exit, failure and Ctrl-C: its labelled
# containers on both engines (when it sets LABEL), the peer's bench/*
# images and the peer if it started it, berthd, the script's own extra
# step (a function bench_cleanup_extra, if defined), mounts, the netns and
# the directories.
bench_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -n ${LABEL:-} ]]; then
    ((PEER)) && remove_containers pdocker
    [[ -n $BERTHD_PID ]] && remove_containers bdocker
  fi
  remove_peer_images
  teardown_peer
  stop_berthd
  if declare -F bench_cleanup_extra >/dev/null; then bench_cleanup_extra; fi
  unmount_below "$DATA" "$RUN" "$WORK"
  ((NETNS_MADE)) && ip netns del "$NETNS" 2>/dev/null
  rm -rf "$DATA" "$RUN" "$WORK"
  rmdir "$BENCH_RUN" 2>/dev/null
  ((rc == 0)) || log "exiting with status $rc; partial results in $OUT"
  exit "$rc"
}

trap_cleanup() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
