#!/usr/bin/env bash
# network_bench.sh — the bridge-network benchmarks, berth side by side with
# Debian's dockerd 20.10 (the peer engine of /work/shared/peers) in one run.
# A benchmark, never a pass/fail test: in no BUILD file; it exits non-zero
# only when it cannot measure at all (a target missed is reported, not
# failed).
#
# The issue's numbers: on this machine dockerd's bridge adds about 60 ms to
# `docker run --rm IMG true` over `--network none` (317 vs 261 ms), podman's
# about 180 ms. Targets: berth's bridge adds <= 10 ms (median, same run);
# 200 containers on one bridge start and stop without the per-container cost
# growing; the rule count per container is constant.
#
#  1. overhead  `docker run --rm bench/busybox:1 true` (CLI v28) on the
#               default bridge and with `--network none`, against berthd and
#               the peer dockerd. Interleaved rounds (every round runs each
#               of the four once, the start rotated round by round), one
#               untimed warm-up round; medians. "bridge adds" = median(bridge)
#               - median(none) per engine (target for berth: <= 10 ms); the
#               median of the per-round paired differences is beside it.
#  2. scale     NSCALE (200) containers on berth's bridge, one after another:
#               `docker run -d --name NAME -p PORT0+i:80 bench/busybox:1 sleep
#               600`, each timed; medians per batch (NBATCH=4 equal batches,
#               200 -> 1-50, 51-100, ...; BATCH=n for fixed-size batches) and
#               the ratio last/first batch (no growth: ~1). berth's iptables
#               rules (`iptables-save | grep -c '^-A'` in berthd's netns) and
#               veths are counted before the first container and after every
#               batch: rules per container per batch (constant: 2 per
#               published port). Then `docker rm -f` one by one, timed, per
#               batch likewise; at the end the veths left in the netns and the
#               rule count against the baseline (waited for up to 10 s;
#               reported, not failed). The same for the peer dockerd (in its
#               netns `peerbench`) with NSCALE_PEER (50) containers, NBATCH
#               equal batches or BATCH_PEER=n.
#
# Run as root: tests/bench/network_bench.sh
# Environment (defaults): SECTIONS="overhead scale", N=15, NSCALE=200,
#   NSCALE_PEER=50 (0: the peer is not scaled), NBATCH=4, BATCH, BATCH_PEER,
#   PORT0=20000, GROWTH_MAX=1.25 (the last/first batch ratio called "no
#   growth"), BERTH_BIN_DIR=/tmp/berth-inst/bin, BERTHD_ARGS, PEERS,
#   NO_PEER=1 to skip dockerd, OUT=/var/lib/berth-bench/results/<timestamp>.
# Output: a table on stdout; $OUT/summary.tsv (group, tool, metric, median,
#   min, max, n, fails, extra), raw samples (*.raw), errors (*.err),
#   berthd.log and context.txt.
# berthd runs in a netns of its own (bench_lib.sh), so its bridge berth0, its
# veths and its rules exist only there; no traffic leaves loopback or the
# netns. Everything it creates (containers on both engines, bench/* images,
# berthd, its netns, data root, run dir, mounts) is removed on exit, failure
# and Ctrl-C included; a peer it had to start is stopped again.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
N=${N:-15}
NSCALE=${NSCALE:-200}
NSCALE_PEER=${NSCALE_PEER:-50}
NBATCH=${NBATCH:-4}
PORT0=${PORT0:-20000}
GROWTH_MAX=${GROWTH_MAX:-1.25}
ADD_MAX_MS=10
LABEL=berth-bench=$$

# shellcheck source=bench_lib.sh
. "$HERE/bench_lib.sh"
IMAGE=bench/busybox:1

prepare_image() {
  python3 "$REPO/tests/system/make_image.py" "$WORK/busybox.tar" --tag "$IMAGE" >/dev/null
  bdocker load -i "$WORK/busybox.tar" >/dev/null
  if ((PEER)); then pdocker load -i "$WORK/busybox.tar" >/dev/null; fi
}

# the netns an engine's bridge, veths and rules live in
engine_netns() { if [[ $1 == berth ]]; then echo "$NETNS"; else echo "${PB_NETNS:-peerbench}"; fi; }
engine_docker() { if [[ $1 == berth ]]; then echo bdocker; else echo pdocker; fi; }
rule_count() { nsenter --net="/run/netns/$1" iptables-save 2>/dev/null | grep -c '^-A' || true; }
veth_count() { nsenter --net="/run/netns/$1" ip -o link show type veth 2>/dev/null | grep -c . || true; }
at_baseline() { [[ $(veth_count "$1") == "$2" && $(rule_count "$1") == "$3" ]]; } # NETNS VETHS RULES

# limit_row TOOL METRIC VALUE LIMIT NOTE: a "value <= limit" verdict row
limit_row() {
  awk -v t="$1" -v m="$2" -v v="$3" -v l="$4" -v note="$5" 'BEGIN {
    if (v == "" || v == "n/a" || v == "nan") { s = "n/a"; d = "-" } else { s = sprintf("%.1f", v); d = (v <= l ? "met" : "MISSED") }
    printf "target\t%s\t%s\t%s\t\t\t\t\ttarget <= %s%s: %s\n", t, m, s, l, note, d }' >>"$SUMMARY"
}

# ---------------------------------------------------------------- 1. overhead
overhead_one() { # TOOL: berth-bridge, berth-none, dockerd-bridge, dockerd-none
  local net=()
  [[ ${1#*-} == none ]] && net=(--network none)
  "$(engine_docker "${1%%-*}")" run --rm "${net[@]}" -l "$LABEL" "$IMAGE" true
}

bench_overhead() {
  local tools=(berth-bridge berth-none) raw=$OUT/overhead.raw r j k i tool t0 t1 ok e b n d p
  ((PEER)) && tools+=(dockerd-bridge dockerd-none)
  k=${#tools[@]}
  : >"$raw"
  log "overhead: $N rounds (+1 warm-up) of: ${tools[*]}"
  for ((r = -1; r < N; r++)); do
    for ((j = 0; j < k; j++)); do
      i=$(((j + r + 1) % k)); tool=${tools[i]}
      t0=$(now_us)
      if overhead_one "$tool" >/dev/null 2>>"$OUT/overhead.err"; then ok=1; else ok=0; fi
      t1=$(now_us)
      ((r < 0)) || printf '%s\t%d\t%d\t%d\n' "$tool" $((t1 - t0)) "$ok" "$r" >>"$raw"
    done
  done
  for tool in "${tools[@]}"; do
    emit overhead "${tool%%-*}" "${tool#*-}_ms" \
      "$(awk -F'\t' -v t="$tool" '$1==t && $3==1 {print $2 / 1000}' "$raw" | stats)" \
      "$(awk -F'\t' -v t="$tool" '$1==t && $3==0' "$raw" | wc -l)" \
      "docker run --rm$([[ ${tool#*-} == none ]] && echo ' --network none') IMG true"
  done
  for e in berth dockerd; do
    b=$(median_of overhead "$e" bridge_ms); n=$(median_of overhead "$e" none_ms)
    [[ -n $b && -n $n && $b != nan && $n != nan ]] || continue
    d=$(awk -v b="$b" -v n="$n" 'BEGIN { printf "%.4g", b - n }')
    # paired: bridge - none of the same round, both good
    p=$(awk -F'\t' -v e="$e" '$3 == 1 { v[$4, $1] = $2 / 1000 }
      END { for (k in v) { split(k, a, SUBSEP); if (a[2] == e "-bridge" && ((a[1], e "-none") in v)) print v[k] - v[a[1], e "-none"] } }' \
      "$raw" | stats | cut -d' ' -f1)
    emit overhead "$e" bridge_adds_ms "$d x x $N" 0 "median(bridge) - median(none); median of per-round differences: $p ms"
  done
}

# ---------------------------------------------------------------- 2. scale
# batch_ends COUNT [SIZE]: the last index of each batch, one per line
batch_ends() {
  local c=$1 size=${2:-} nb k
  if [[ -n $size ]]; then
    for ((k = size; k < c; k += size)); do echo "$k"; done
    echo "$c"; return
  fi
  nb=$NBATCH; ((nb <= c)) || nb=$c
  for ((k = 1; k <= nb; k++)); do echo $((k * c / nb)); done
}

# scale_phase TOOL PHASE COUNT: the timed loop of one phase (start or rm),
# with a summary row per batch; sets PHASE_FIRST/PHASE_LAST (batch medians)
# and PHASE_PER (rules changed per container, one value per batch)
scale_phase() {
  local tool=$1 phase=$2 count=$3 dk ns raw ends b=0 lo=1 i name t0 t1 ok s good prev rules veth per
  dk=$(engine_docker "$tool"); ns=$(engine_netns "$tool")
  raw=$OUT/scale.$tool.raw
  mapfile -t ends < <(batch_ends "$count" "$([[ $tool == berth ]] && echo "${BATCH:-}" || echo "${BATCH_PEER:-}")")
  prev=$(rule_count "$ns")
  PHASE_FIRST=""; PHASE_LAST=""; PHASE_PER=()
  for ((i = 1; i <= count; i++)); do
    name=nb$$-$tool-$i
    t0=$(now_us)
    if [[ $phase == start ]]; then
      if "$dk" run -d --name "$name" -p "$((PORT0 + i)):80" -l "$LABEL" "$IMAGE" sleep 600 >/dev/null 2>>"$OUT/scale.err"; then ok=1; else ok=0; fi
    else
      if "$dk" rm -f "$name" >/dev/null 2>>"$OUT/scale.err"; then ok=1; else ok=0; fi
    fi
    t1=$(now_us)
    printf '%s\t%d\t%d\t%d\n' "$phase" "$i" $((t1 - t0)) "$ok" >>"$raw"
    ((i == ends[b])) || continue
    # end of a batch (untimed): rules and veths now
    rules=$(rule_count "$ns"); veth=$(veth_count "$ns")
    s=$(awk -F'\t' -v p="$phase" -v lo="$lo" -v hi="$i" '$1==p && $2>=lo && $2<=hi && $4==1 {print $3 / 1000}' "$raw" | stats)
    good=$(cut -d' ' -f4 <<<"$s")
    per=$(awk -v d=$((rules - prev)) -v g="$good" 'BEGIN { if (g == 0) print "nan"; else printf "%.2f", (d < 0 ? -d : d) / g }')
    PHASE_PER+=("$per")
    emit scale "$tool" "${phase}_ms[$lo-$i]" "$s" $((i - lo + 1 - good)) \
      "rules $([[ $phase == start ]] && echo +)$((rules - prev)) ($per per container), veths in netns: $veth"
    [[ -n $PHASE_FIRST ]] || PHASE_FIRST=${s%% *}
    PHASE_LAST=${s%% *}
    prev=$rules; lo=$((i + 1)); b=$((b + 1))
  done
}

scale_engine() { # TOOL COUNT
  local tool=$1 count=$2 ns base_rules base_veth r rules veth t0 waited
  ns=$(engine_netns "$tool")
  : >"$OUT/scale.$tool.raw"
  base_rules=$(rule_count "$ns"); base_veth=$(veth_count "$ns")
  log "scale: $count containers on $tool's bridge, one after another (baseline: $base_rules rules, $base_veth veths in netns $ns)"
  emit scale "$tool" baseline_rules "$base_rules $base_rules $base_rules 1" 0 "iptables-save -A lines in netns $ns before; veths: $base_veth"

  scale_phase "$tool" start "$count"
  r=$(ratio "$PHASE_LAST" "$PHASE_FIRST")
  awk -v t="$tool" -v r="$r" -v g="$GROWTH_MAX" 'BEGIN { printf "ratio\t%s\tstart_last/first_batch\t%s\t\t\t\t\ttarget <= %s (no growth): %s\n",
    t, r, g, (r == "n/a" ? "-" : (r <= g ? "met" : "MISSED")) }' >>"$SUMMARY"
  emit scale "$tool" rules_per_container "$(printf '%s\n' "${PHASE_PER[@]}" | grep -v nan | stats)" 0 \
    "per start batch: ${PHASE_PER[*]}; constant: $(printf '%s\n' "${PHASE_PER[@]}" | sort -u | awk 'END { print (NR == 1 ? "yes" : "NO") }')"
  log "  started; now $(rule_count "$ns") rules, $(veth_count "$ns") veths"

  log "scale: removing them one by one (docker rm -f)"
  scale_phase "$tool" rm "$count"
  r=$(ratio "$PHASE_LAST" "$PHASE_FIRST")
  awk -v t="$tool" -v r="$r" -v g="$GROWTH_MAX" 'BEGIN { printf "ratio\t%s\trm_last/first_batch\t%s\t\t\t\t\ttarget <= %s (no growth): %s\n",
    t, r, g, (r == "n/a" ? "-" : (r <= g ? "met" : "MISSED")) }' >>"$SUMMARY"

  # leftovers, after up to 10 s for anything asynchronous
  t0=$(now_us)
  wait_for 10 at_baseline "$ns" "$base_veth" "$base_rules" || true
  waited=$((($(now_us) - t0) / 1000))
  rules=$(rule_count "$ns"); veth=$(veth_count "$ns")
  emit scale "$tool" leftover_veths "$((veth - base_veth)) x x 1" 0 \
    "veths in netns $ns after the last rm, beyond the $base_veth before (want 0; checked after $waited ms)"
  emit scale "$tool" leftover_rules "$((rules - base_rules)) x x 1" 0 \
    "rules now $rules, baseline $base_rules (want 0)"
  remove_containers "$(engine_docker "$tool")"   # whatever a failed rm left
}

bench_scale() {
  scale_engine berth "$NSCALE"
  if ((PEER && NSCALE_PEER > 0)); then scale_engine dockerd "$NSCALE_PEER"; fi
}

# ---------------------------------------------------------------- report
context() {
  {
    echo "date: $(date -u +%FT%TZ)  host: $(hostname)  kernel: $(uname -r)  cpus: $(nproc)  loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "binaries: $BIN_DIR ($(stat -c %y "$BIN_DIR/berthd" | cut -d. -f1))  docker CLI: $("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null)  $(iptables -V 2>&1)"
    echo "berth server: $(bdocker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>&1), netns $NETNS"
    if ((PEER)); then
      echo "dockerd: $(pdocker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>&1), netns $(engine_netns dockerd)"
    else echo "dockerd: $PEER_NOTE"; fi
    echo "SECTIONS=${SECTIONS:-overhead scale} N=$N NSCALE=$NSCALE NSCALE_PEER=$NSCALE_PEER NBATCH=$NBATCH BATCH=${BATCH:-} BATCH_PEER=${BATCH_PEER:-} PORT0=$PORT0"
  } | tee "$OUT/context.txt" >&2
}

report() {
  local a
  a=$(median_of overhead berth bridge_adds_ms)
  [[ -z $a ]] || limit_row berth bridge_adds_ms "$a" "$ADD_MAX_MS" " ms"
  a=$(median_of overhead dockerd bridge_adds_ms)
  [[ -z $a ]] || printf 'target\tdockerd\tbridge_adds_ms\t%.1f\t\t\t\t\tinformative (the issue: ~60 ms)\n' "$a" >>"$SUMMARY"
  echo
  echo "== network_bench results ($OUT)"
  [[ -z $PEER_NOTE ]] || echo "!! $PEER_NOTE"
  column -t -s $'\t' "$SUMMARY"
}

main() {
  [[ $(id -u) == 0 ]] || die "run as root"
  [[ -n $DOCKER ]] || die "no docker CLI"
  local t
  for t in curl python3 nsenter ip iptables-save findmnt column; do command -v "$t" >/dev/null || die "$t missing"; done
  mkdir -p "$OUT" "$WORK" "$BENCH_RUN"
  printf 'group\ttool\tmetric\tmedian\tmin\tmax\tn\tfails\textra\n' >"$SUMMARY"
  trap_cleanup
  local start; start=$(now_us)
  setup_peer
  [[ -z $PEER_NOTE ]] || log "$PEER_NOTE"
  start_berthd
  prepare_image
  context
  local section
  for section in ${SECTIONS:-overhead scale}; do "bench_$section"; done
  report
  log "done in $((($(now_us) - start) / 1000000)) s"
}

main "$@"
