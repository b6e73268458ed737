#!/usr/bin/env bash
# containers_bench.sh — the container benchmarks of issue 4, berth side by
# side with Debian's dockerd 20.10 (the peer engine of /work/shared/peers)
# in one run. A benchmark, never a pass/fail test: in no BUILD file; it
# exits non-zero only when it cannot measure at all.
#
#  1. run    `docker run --rm --network none bench/busybox:1 true` (CLI v28)
#            against berthd (native exec driver) and the peer dockerd, and
#            the floor: `unshare --fork --pid --mount --uts --ipc --net
#            chroot ROOTFS /bin/true` on the same busybox rootfs. Interleaved
#            rounds, start rotated; medians. Ratio berth/dockerd (target
#            <= 0.2).
#  2. grpc   create + start + wait of `true` (--network none) straight
#            through berth-daemon's ContainerService (tests/bench/grpc_run,
#            channel warm), against the same floor measured in this run
#            (target <= 2x the floor).
#  3. many   NMANY (100) concurrent `docker run --rm ... true`: how many
#            complete correctly, and the wall time of the batch.
#  4. shim   PSS of berth-shim (/proc/PID/smaps_rollup) with NRUN containers
#            running `sleep`, per shim (target <= 1 MiB).
#  5. list   `GET /containers/json?all=1` with NLIST created containers:
#            sequential latency (p50) and req/s at concurrency 8 (curl
#            --parallel, keep-alive), berth and dockerd (target >= 10x).
#
# Run as root: tests/bench/containers_bench.sh
# Environment (defaults): SECTIONS="run grpc many shim list", N=15, NRUN=50, NMANY=100, NLIST=1000, LIST_REQS=400,
#   BERTH_BIN_DIR=/tmp/berth-inst/bin, NO_PEER=1 to skip dockerd, OUT.
# Everything it creates (containers on both engines, bench/* images, berthd,
# its netns, data root, run dir, mounts) is removed on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
N=${N:-15}
NRUN=${NRUN:-50}
NMANY=${NMANY:-100}
GRPC_RUN=${GRPC_RUN:-$REPO/bazel-bin/tests/bench/grpc_run}
NLIST=${NLIST:-1000}
LIST_REQS=${LIST_REQS:-400}
LABEL=berth-bench=$$

# shellcheck source=bench_lib.sh
. "$HERE/bench_lib.sh"
IMAGE=bench/busybox:1

prepare_image() {
  python3 "$REPO/tests/system/make_image.py" "$WORK/busybox.tar" --tag "$IMAGE" >/dev/null
  bdocker load -i "$WORK/busybox.tar" >/dev/null
  ((PEER)) && pdocker load -i "$WORK/busybox.tar" >/dev/null
  mkdir -p "$WORK/x" "$WORK/rootfs"
  tar -xf "$WORK/busybox.tar" -C "$WORK/x"
  local layer
  for layer in $(python3 -c 'import json,sys; [print(l) for l in json.load(open(sys.argv[1]))[0]["Layers"]]' "$WORK/x/manifest.json"); do
    tar -xf "$WORK/x/$layer" -C "$WORK/rootfs"
  done
}

run_one() {
  case $1 in
    floor) unshare --fork --pid --mount --uts --ipc --net chroot "$WORK/rootfs" /bin/true ;;
    berth) bdocker run --rm --network none "$IMAGE" true ;;
    dockerd) pdocker run --rm --network none "$IMAGE" true ;;
  esac
}

bench_run() {
  local tools=(floor berth) raw=$OUT/run.raw r j k i tool t0 t1 ok
  ((PEER)) && tools+=(dockerd)
  k=${#tools[@]}
  : >"$raw"
  log "run: $N rounds (+1 warm-up) of: ${tools[*]}"
  for ((r = -1; r < N; r++)); do
    for ((j = 0; j < k; j++)); do
      i=$(((j + r + 1) % k)); tool=${tools[i]}
      t0=$(now_us)
      if run_one "$tool" >/dev/null 2>>"$OUT/run.err"; then ok=1; else ok=0; fi
      t1=$(now_us)
      ((r < 0)) || printf '%s\t%d\t%d\n' "$tool" $((t1 - t0)) "$ok" >>"$raw"
    done
  done
  for tool in "${tools[@]}"; do
    emit run "$tool" wall_ms "$(awk -F'\t' -v t="$tool" '$1==t && $3==1 {print $2 / 1000}' "$raw" | stats)" \
      "$(awk -F'\t' -v t="$tool" '$1==t && $3==0' "$raw" | wc -l)" "docker run --rm --network none IMG true"
  done
}

bench_grpc() {
  [[ -x $GRPC_RUN ]] || (cd "$REPO" && bazel build //tests/bench:grpc_run >/dev/null 2>&1) ||
    die "cannot build tests/bench:grpc_run"
  log "grpc: $N runs of create+start+wait through ContainerService, and $N of the floor"
  local raw=$OUT/grpc.raw i t0 t1
  "$GRPC_RUN" --socket "$RUN/daemon.sock" --image "$IMAGE" --runs $((N + 1)) >"$raw" 2>>"$OUT/run.err" ||
    die "grpc_run failed: $(tail -1 "$OUT/run.err")"
  : >"$OUT/floor2.raw"
  for ((i = 0; i <= N; i++)); do
    t0=$(now_us); run_one floor >/dev/null 2>&1; t1=$(now_us)
    ((i == 0)) || echo $(((t1 - t0))) >>"$OUT/floor2.raw"
  done
  emit grpc berth total_ms "$(tail -n +2 "$raw" | awk '{print $4}' | stats)" 0 \
    "create $(tail -n +2 "$raw" | awk '{print $1}' | stats | cut -d' ' -f1) + start $(tail -n +2 "$raw" | awk '{print $2}' | stats | cut -d' ' -f1) + wait $(tail -n +2 "$raw" | awk '{print $3}' | stats | cut -d' ' -f1) ms (medians)"
  emit grpc floor wall_ms "$(awk '{print $1 / 1000}' "$OUT/floor2.raw" | stats)" 0 "unshare+chroot true, this section"
}

bench_many() {
  log "many: $NMANY concurrent docker run --rm"
  local i pids=() t0 t1 good=0
  t0=$(now_us)
  for ((i = 0; i < NMANY; i++)); do
    bdocker run --rm --network none -l "$LABEL" "$IMAGE" echo "run-$i" >"$WORK/many.$i" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if wait "${pids[i]}" && [[ $(cat "$WORK/many.$i") == "run-$i" ]]; then
      good=$((good + 1))
    else
      { echo "run-$i:"; cat "$WORK/many.$i"; } >>"$OUT/many.err"
    fi
  done
  t1=$(now_us)
  emit many berth completed "$good $good $good 1" $((NMANY - good)) \
    "of $NMANY concurrent runs, in $(((t1 - t0) / 1000)) ms; left: $(bdocker ps -aq | wc -l) containers"
}

bench_shim() {
  log "shim: starting $NRUN containers"
  local i pss=() pid f
  for ((i = 0; i < NRUN; i++)); do
    bdocker run -d --network none -l "$LABEL" "$IMAGE" sleep 600 >/dev/null
  done
  for f in "$RUN"/containers/*/shim.pid; do
    pid=$(cat "$f")
    pss+=("$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")")
  done
  emit shim berth pss_kib "$(printf '%s\n' "${pss[@]}" | stats)" 0 \
    "per berth-shim with ${#pss[@]} running; rss_kib of one: $(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")"
  remove_containers bdocker
}

create_many() { # SOCKET COUNT: created, never started
  local i body
  body=$(printf '{"Image":"%s","Cmd":["true"],"Labels":{"berth-bench":"%s"},"HostConfig":{"NetworkMode":"none"}}' "$IMAGE" "$$")
  for ((i = 0; i < $2; i++)); do
    printf 'url = "http://d/containers/create"\noutput = "/dev/null"\n'
  done >"$WORK/create.cfg"
  curl -s --unix-socket "$1" --parallel --parallel-max 4 -X POST -H 'Content-Type: application/json' \
    -d "$body" -K "$WORK/create.cfg" >/dev/null
}

list_round() { # TOOL SOCKET
  local t0 t1 i
  for ((i = 0; i < LIST_REQS; i++)); do
    printf 'url = "http://d/containers/json?all=1"\noutput = "/dev/null"\n'
  done >"$WORK/list.cfg"
  curl -s --unix-socket "$2" -w '%{time_total}\n' -o /dev/null "http://d/containers/json?all=1" -K <(head -n 100 "$WORK/list.cfg") \
    >"$WORK/lat.$1"
  t0=$(now_us)
  curl -s --unix-socket "$2" --parallel --parallel-max 8 -K "$WORK/list.cfg" >/dev/null
  t1=$(now_us)
  emit list "$1" seq_latency_ms "$(awk '{print $1 * 1000}' "$WORK/lat.$1" | stats)" 0 "GET /containers/json?all=1 with $NLIST containers"
  emit list "$1" rps_c8 "$(awk -v n="$LIST_REQS" -v us=$((t1 - t0)) 'BEGIN {print n / (us / 1e6)}') x x 1" 0 "$LIST_REQS requests"
}

bench_list() {
  log "list: creating $NLIST containers on each engine (untimed)"
  create_many "$BERTH_SOCK" "$NLIST"
  log "  berth lists $(bdocker ps -aq --filter "label=$LABEL" | wc -l)"
  list_round berth "$BERTH_SOCK"
  if ((PEER)); then
    create_many "$PEER_SOCK" "$NLIST"
    log "  dockerd lists $(pdocker ps -aq --filter "label=$LABEL" | wc -l)"
    list_round dockerd "$PEER_SOCK"
  fi
}

main() {
  [[ $(id -u) == 0 ]] || die "run as root"
  [[ -n $DOCKER ]] || die "no docker CLI"
  mkdir -p "$OUT" "$WORK" "$BENCH_RUN"
  printf 'group\ttool\tmetric\tmedian\tmin\tmax\tn\tfails\textra\n' >"$SUMMARY"
  trap_cleanup
  setup_peer
  [[ -z $PEER_NOTE ]] || log "$PEER_NOTE"
  start_berthd
  prepare_image
  local section
  for section in ${SECTIONS:-run grpc many shim list}; do "bench_$section"; done
  local r
  # Three decimals, and the verdict from the unrounded ratio.
  awk -v a="$(median_of run berth wall_ms)" -v b="$(median_of run dockerd wall_ms)" 'BEGIN {
    if (a == "" || b == "" || b == 0) { r = "n/a"; v = "-" } else { r = sprintf("%.3f", a / b); v = (a / b <= 0.2 ? "met" : "MISSED") }
    printf "ratio\tberth/dockerd\trun_wall\t%s\t\t\t\t\ttarget <= 0.2: %s\n", r, v }' >>"$SUMMARY"
  r=$(ratio "$(median_of run berth wall_ms)" "$(median_of run floor wall_ms)")
  printf 'ratio\tberth/floor\trun_wall\t%s\t\t\t\t\tinformative\n' "$r" >>"$SUMMARY"
  awk -v a="$(median_of grpc berth total_ms)" -v b="$(median_of grpc floor wall_ms)" 'BEGIN {
    if (a == "" || b == "" || b == 0) { r = "n/a"; v = "-" } else { r = sprintf("%.3f", a / b); v = (a / b <= 2 ? "met" : "MISSED") }
    printf "ratio\tgrpc/floor\tcreate_start_wait\t%s\t\t\t\t\ttarget <= 2: %s\n", r, v }' >>"$SUMMARY"
  r=$(ratio "$(median_of list berth rps_c8)" "$(median_of list dockerd rps_c8)")
  add_ratio "berth/dockerd containers_json_rps_c8" "$r" 10
  echo
  echo "== containers_bench results ($OUT)"
  [[ -z $PEER_NOTE ]] || echo "!! $PEER_NOTE"
  column -t -s $'\t' "$SUMMARY"
}

main "$@"
