#!/usr/bin/env bash
# images_bench.sh — the image benchmarks of issue 3, berth side by side with
# Debian's dockerd 20.10 (the peer engine of /work/shared/peers) in one run.
# A benchmark, never a pass/fail test: it is in no BUILD file, and it exits
# non-zero only when it cannot measure at all (a target missed is reported,
# not failed).
#
# What it measures (medians over interleaved rounds: in every round each tool
# runs once, the start rotated round by round, so all tools see the same
# machine noise):
#
#  1. load   `docker load -i` of a ~256 MiB docker-save archive with 4 layers
#            (tests/system/make_image.py: busybox-static plus incompressible
#            random filler in the base layer), as wall time from start to end:
#            - floor:        `tar -xf` of the archive's layer tars, one after the
#                            other in manifest order, into a fresh directory on
#                            the filesystem of berth's data root (the layer tars
#                            are pre-extracted, untimed). No sync, like docker
#                            load (which returns without a sync as well).
#            - floor-staged: informative; what a docker-save load has to do at
#                            least: `tar -xf` of the whole archive into a staging
#                            dir, then the layer tars from there (no sync).
#            - berth:        `docker load -i` (CLI v28) against a berthd this
#                            script starts (fresh netns, data root under
#                            /var/lib/berth-bench, run dir under /run/berth-bench,
#                            overlay storage driver).
#            - dockerd:      the same against the peer's socket
#                            unix:///run/peerbench/docker.sock (overlay2).
#            - cli-ceiling:  informative; `docker load -i` against
#                            tests/bench/upload_sink.py, which reads the upload
#                            and throws it away: the docker CLI's own cost,
#                            which bounds what any daemon can reach.
#            Untimed between timed commands: `docker rmi` / `rm -rf` of the
#            previous result, then `sync`, so no run pays for another's
#            writeback. Throughput = archive MiB / median seconds; ratios
#            berth/floor (target >= 0.8) and berth/dockerd (target >= 1.0).
#  2. api    `GET /images/json` with 1,000 images (one docker-save archive from
#            tests/bench/make_many_images.py: 1,000 configs sharing one busybox
#            layer, tags bench/many:0..999), loaded into both (untimed, but
#            reported as setup rows). Client: curl over the unix socket, one
#            process per burst with keep-alive connections, so no process
#            spawn is measured:
#            - latency: LAT_REQS sequential requests on one connection per
#              round, curl's time_total per request (p50, p99);
#            - throughput: API_REQS requests at concurrency API_CONC (curl
#              --parallel, keep-alive), requests / wall time;
#            - server CPU per request: utime+stime of the daemon's processes
#              (berthd and its services; dockerd and containerd) over the
#              throughput bursts. Client and servers share the machine's cores.
#            Ratio berth/dockerd req/s (target >= 2x).
#  3. cli    `docker images` (CLI v28) with those 1,000 images, wall time.
#
# Run as root from anywhere:   tests/bench/images_bench.sh
# Environment (defaults): SECTIONS="load api cli", N=5 load rounds, WARM=1 untimed warm-up round(s),
#   LOAD_MIB=256, LAYERS=4, NIMAGES=1000, LAT_REQS=200, API_REQS=2000,
#   API_CONC=32, API_ROUNDS=3, API_MAX_BURST_S=45 (API_REQS is cut, for both
#   tools alike, so that a burst of the slower one is expected to last at most
#   this long; the count used is in the table; 0: never cut), CLI_N=15,
#   BERTH_BIN_DIR=/tmp/berth-inst/bin (berthd and its services, e.g. from
#   deploy/install.sh), PEERS=/work/shared/peers, NO_PEER=1 (berth and the
#   floor only), BERTHD_ARGS (extra berthd flags, e.g. --debug),
#   OUT=/var/lib/berth-bench/results/<timestamp>.
# Output: a table on stdout; $OUT/summary.tsv (group, tool, metric, median,
#   min, max, n, fails, extra), raw samples, berthd.log and context.txt.
#
# Peers: when the peer dockerd does not answer, `$PEERS/setup.sh install
# dockerd` starts it (if that fails the dockerd rows are skipped and the
# output says so); whatever the script started there is stopped again at the
# end (teardown.sh when no peer daemon ran before). Images it loaded into the
# peer (bench/*) are removed at the end either way.
# Everything berth-side (berthd by PID, its netns, data root, run dir, work
# dir, mounts below them) is removed on exit, failure and Ctrl-C included.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
N=${N:-5}
WARM=${WARM:-1}
LOAD_MIB=${LOAD_MIB:-256}
LAYERS=${LAYERS:-4}
NIMAGES=${NIMAGES:-1000}
LAT_REQS=${LAT_REQS:-200}
API_REQS=${API_REQS:-2000}
API_CONC=${API_CONC:-32}
API_ROUNDS=${API_ROUNDS:-3}
API_MAX_BURST_S=${API_MAX_BURST_S:-45}
CLI_N=${CLI_N:-15}

# shellcheck source=bench_lib.sh
. "$HERE/bench_lib.sh"
SINK_PID=""
SINK_SOCK=$BENCH_RUN/sink.$$.sock

sdocker() { DOCKER_HOST="unix://$SINK_SOCK" "$DOCKER" "$@"; }

start_sink() {
  python3 "$HERE/upload_sink.py" "$SINK_SOCK" 2>>"$OUT/load.err" &
  SINK_PID=$!
  wait_for 10 curl -sf --unix-socket "$SINK_SOCK" http://d/_ping || die "upload_sink.py did not answer"
}

bench_cleanup_extra() {
  [[ -z $SINK_PID ]] || { stop_pid "$SINK_PID" 5; wait "$SINK_PID" 2>/dev/null; rm -f "$SINK_SOCK"; }
}

# ---------------------------------------------------------------- 1. load
make_load_archive() {
  ARCHIVE=$WORK/load.tar
  local bb padding
  bb=$(stat -c %s /bin/busybox)
  padding=$(((LOAD_MIB << 20) - bb - (64 << 10)))   # tar headers and the small layers: < 64 KiB
  log "writing a ${LOAD_MIB} MiB docker-save archive ($LAYERS layers, random filler)"
  python3 "$REPO/tests/system/make_image.py" "$ARCHIVE" --tag bench/load:1 --padding "$padding" \
    --layers "$LAYERS" >"$WORK/load.meta"
  ARCHIVE_BYTES=$(stat -c %s "$ARCHIVE")
  ARCHIVE_MIB=$(awk -v b="$ARCHIVE_BYTES" 'BEGIN{printf "%.1f", b / 1048576}')
  # the layer tars, for the floor (manifest order)
  mkdir -p "$WORK/x"; tar -xf "$ARCHIVE" -C "$WORK/x"
  mapfile -t LAYER_PATHS < <(python3 -c 'import json,sys; [print(l) for l in json.load(open(sys.argv[1]))[0]["Layers"]]' "$WORK/x/manifest.json")
  log "archive: $ARCHIVE_MIB MiB, layers: $(for l in "${LAYER_PATHS[@]}"; do stat -c %s "$WORK/x/$l"; done | tr '\n' ' ')bytes"
}

# load_prepare/run/finish TOOL: untimed before, timed, untimed after (check + remove)
load_prepare() {
  case $1 in
    floor) rm -rf "$WORK/floor"; mkdir "$WORK/floor" ;;
    floor-staged) rm -rf "$WORK/floor2" "$WORK/stage"; mkdir "$WORK/floor2" "$WORK/stage" ;;
    berth | dockerd | cli-ceiling) ;;
  esac
}
load_run() {
  local l
  case $1 in
    floor) for l in "${LAYER_PATHS[@]}"; do tar -xf "$WORK/x/$l" -C "$WORK/floor" || return 1; done ;;
    floor-staged)
      tar -xf "$ARCHIVE" -C "$WORK/stage" || return 1
      for l in "${LAYER_PATHS[@]}"; do tar -xf "$WORK/stage/$l" -C "$WORK/floor2" || return 1; done ;;
    berth) bdocker load -i "$ARCHIVE" ;;
    dockerd) pdocker load -i "$ARCHIVE" ;;
    cli-ceiling) sdocker load -i "$ARCHIVE" ;;
  esac
}
load_finish() {
  case $1 in
    floor) [[ -s $WORK/floor/filler/000 ]] ;;
    floor-staged) [[ -s $WORK/floor2/filler/000 ]] ;;
    berth) bdocker image inspect bench/load:1 >/dev/null && bdocker rmi bench/load:1 >/dev/null ;;
    dockerd) pdocker image inspect bench/load:1 >/dev/null && pdocker rmi bench/load:1 >/dev/null ;;
    cli-ceiling) ;;
  esac
}

bench_load() {
  local tools=(floor floor-staged cli-ceiling berth) raw=$OUT/load.raw r j i k tool t0 t1 ok
  ((PEER)) && tools+=(dockerd)
  k=${#tools[@]}
  : >"$raw"
  log "load: $N rounds (+$WARM warm-up) of: ${tools[*]}"
  for ((r = -WARM; r < N; r++)); do
    for ((j = 0; j < k; j++)); do
      i=$(((j + r + WARM) % k)); tool=${tools[i]}
      load_prepare "$tool"
      sync
      t0=$(now_us)
      if load_run "$tool" >/dev/null 2>>"$OUT/load.err"; then ok=1; else ok=0; fi
      t1=$(now_us)
      load_finish "$tool" 2>>"$OUT/load.err" || ok=0
      ((r < 0)) || printf '%s\t%d\t%d\t%d\n' "$tool" "$r" $((t1 - t0)) "$ok" >>"$raw"
      log "  round $r $tool: $(((t1 - t0) / 1000)) ms$( ((ok)) || echo " FAILED")"
    done
  done
  rm -rf "$WORK/floor" "$WORK/floor2" "$WORK/stage"
  for tool in "${tools[@]}"; do
    local fails s med
    fails=$(awk -F'\t' -v t="$tool" '$1==t && $4==0' "$raw" | wc -l)
    s=$(awk -F'\t' -v t="$tool" '$1==t && $4==1 {print $3 / 1e6}' "$raw" | stats)
    med=${s%% *}
    emit load "$tool" wall_s "$s" "$fails" "archive_mib=$ARCHIVE_MIB"
    emit load "$tool" mib_per_s "$(awk -F'\t' -v t="$tool" -v m="$ARCHIVE_MIB" '$1==t && $4==1 {print m / ($3 / 1e6)}' "$raw" | stats)" \
      "$fails" "archive MiB / wall s (median row: MiB / median s = $(awk -v m="$ARCHIVE_MIB" -v s="$med" 'BEGIN{printf "%.1f", m / s}'))"
  done
}

# ---------------------------------------------------------------- 2. api, 3. cli
load_many() {
  log "writing one archive with $NIMAGES images sharing one layer"
  python3 "$HERE/make_many_images.py" "$WORK/many.tar" --count "$NIMAGES" >"$WORK/many.meta"
  local t0 t1 c
  t0=$(now_us); bdocker load -q -i "$WORK/many.tar" >/dev/null; t1=$(now_us)
  c=$(count_images "$BERTH_SOCK")
  emit setup berth "load_${NIMAGES}_images_s" "$(secs $((t1 - t0)) | stats)" 0 "untimed setup; images listed: $c"
  BERTH_NIMG=$c
  ((c >= NIMAGES)) || die "berth lists $c images after loading $NIMAGES"
  if ((PEER)); then
    t0=$(now_us); pdocker load -q -i "$WORK/many.tar" >/dev/null; t1=$(now_us)
    c=$(count_images "$PEER_SOCK")
    emit setup dockerd "load_${NIMAGES}_images_s" "$(secs $((t1 - t0)) | stats)" 0 "untimed setup; images listed: $c"
    PEER_NIMG=$c
    ((c >= NIMAGES)) || die "dockerd lists $c images after loading $NIMAGES"
  fi
  log "images listed: berth $BERTH_NIMG, dockerd ${PEER_NIMG:-not measured}"
}
count_images() {
  curl -sf --unix-socket "$1" http://d/images/json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# curl config: COUNT x GET /images/json, bodies discarded
curl_cfg() { local i; for ((i = 0; i < $1; i++)); do printf 'url = "http://d/images/json"\noutput = "/dev/null"\n'; done >"$2"; }

# api_seq TOOL SOCK: LAT_REQS sequential requests on one keep-alive connection
api_seq() {
  curl -s --no-progress-meter --unix-socket "$2" -K "$WORK/seq.cfg" \
    -w "$1"' %{http_code} %{time_total} %{time_starttransfer}\n' >>"$OUT/api-seq.raw"
}
# api_conc TOOL SOCK PIDS...: API_REQS at concurrency API_CONC; wall time and daemon CPU
api_conc() {
  local tool=$1 sock=$2; shift 2
  local c0 c1 t0 t1 codes bad
  c0=$(cpu_ticks "$@"); t0=$(now_us)
  codes=$(curl -s --no-progress-meter --parallel --parallel-max "$API_CONC" --unix-socket "$sock" \
    -K "$WORK/conc.cfg" -w '%{http_code}\n')
  t1=$(now_us); c1=$(cpu_ticks "$@")
  bad=$(grep -vc '^200$' <<<"$codes" || true)
  printf '%s\t%d\t%d\t%d\t%d\n' "$tool" "$CONC_REQS" $((t1 - t0)) $((c1 - c0)) "$bad" >>"$OUT/api-conc.raw"
  log "  $tool c=$API_CONC: $CONC_REQS reqs in $(((t1 - t0) / 1000)) ms, daemon cpu $(((c1 - c0) * 1000 / CLK_TCK)) ms, non-200: $bad"
}

bench_api() {
  local tools=(berth) socks=("$BERTH_SOCK") r j i k probe_us max_us=0 s pids=()
  ((PEER)) && { tools+=(dockerd); socks+=("$PEER_SOCK"); }
  k=${#tools[@]}
  # probe (also a warm-up): 10 sequential requests each -> burst size
  curl_cfg 10 "$WORK/probe.cfg"
  for ((i = 0; i < k; i++)); do
    s=$(now_us); curl -s --no-progress-meter --unix-socket "${socks[i]}" -K "$WORK/probe.cfg"; probe_us=$((($(now_us) - s) / 10))
    log "  probe ${tools[i]}: $((probe_us / 1000)) ms per request"
    ((probe_us > max_us)) && max_us=$probe_us
  done
  CONC_REQS=$API_REQS
  # the slower tool at sequential speed must fit in API_MAX_BURST_S (concurrency only helps)
  if ((API_MAX_BURST_S > 0 && CONC_REQS * max_us > API_MAX_BURST_S * 1000000)); then
    CONC_REQS=$((API_MAX_BURST_S * 1000000 / max_us)); ((CONC_REQS >= API_CONC)) || CONC_REQS=$API_CONC
    log "  burst cut to $CONC_REQS requests (API_MAX_BURST_S=$API_MAX_BURST_S)"
  fi
  curl_cfg "$LAT_REQS" "$WORK/seq.cfg"; curl_cfg "$CONC_REQS" "$WORK/conc.cfg"
  : >"$OUT/api-seq.raw"; : >"$OUT/api-conc.raw"
  log "api: $API_ROUNDS rounds of ($LAT_REQS sequential + $CONC_REQS at c=$API_CONC) for: ${tools[*]}"
  for ((r = 0; r < API_ROUNDS; r++)); do
    for ((j = 0; j < k; j++)); do
      i=$(((j + r) % k))
      api_seq "${tools[i]}" "${socks[i]}"
      if [[ ${tools[i]} == berth ]]; then mapfile -t pids < <(berth_pids); else mapfile -t pids < <(peer_pids); fi
      api_conc "${tools[i]}" "${socks[i]}" "${pids[@]}"
    done
  done
  local tool bad lat
  for tool in "${tools[@]}"; do
    lat=$(awk -v t="$tool" '$1==t && $2==200 {print $3 * 1000}' "$OUT/api-seq.raw")
    bad=$(awk -v t="$tool" '$1==t && $2!=200' "$OUT/api-seq.raw" | wc -l)
    emit api "$tool" seq_latency_ms "$(stats <<<"$lat")" "$bad" \
      "p99=$(pct 99 <<<"$lat") ttfb_p50_ms=$(awk -v t="$tool" '$1==t && $2==200 {print $4 * 1000}' "$OUT/api-seq.raw" | pct 50) reqs=$((LAT_REQS * API_ROUNDS)) sequential keep-alive"
    bad=$(awk -F'\t' -v t="$tool" '$1==t {s += $5} END {print s + 0}' "$OUT/api-conc.raw")
    emit api "$tool" "rps_c$API_CONC" "$(awk -F'\t' -v t="$tool" '$1==t {print $2 / ($3 / 1e6)}' "$OUT/api-conc.raw" | stats)" "$bad" \
      "$API_ROUNDS bursts of $CONC_REQS reqs"
    emit api "$tool" server_cpu_ms_per_req "$(awk -F'\t' -v t="$tool" -v hz="$CLK_TCK" '$1==t {print $4 / hz * 1000 / $2}' "$OUT/api-conc.raw" | stats)" 0 \
      "daemon processes' CPU during the c=$API_CONC bursts / requests"
  done
}

bench_cli() {
  local tools=(berth) r j i k t0 t1 ok raw=$OUT/cli.raw tool
  ((PEER)) && tools+=(dockerd)
  k=${#tools[@]}; : >"$raw"
  log "cli: docker images, $CLI_N rounds (+2 warm-up)"
  for ((r = -2; r < CLI_N; r++)); do
    for ((j = 0; j < k; j++)); do
      i=$(((j + r + 2) % k)); tool=${tools[i]}
      t0=$(now_us)
      if [[ $tool == berth ]]; then bdocker images >"$WORK/cli.out" 2>>"$OUT/cli.err" && ok=1 || ok=0
      else pdocker images >"$WORK/cli.out" 2>>"$OUT/cli.err" && ok=1 || ok=0; fi
      t1=$(now_us)
      ((r < 0)) || printf '%s\t%d\t%d\t%d\n' "$tool" $((t1 - t0)) "$ok" $(($(wc -l <"$WORK/cli.out") - 1)) >>"$raw"
    done
  done
  for tool in "${tools[@]}"; do
    emit cli "$tool" docker_images_ms "$(awk -F'\t' -v t="$tool" '$1==t && $3==1 {print $2 / 1000}' "$raw" | stats)" \
      "$(awk -F'\t' -v t="$tool" '$1==t && $3==0' "$raw" | wc -l)" "rows printed: $(awk -F'\t' -v t="$tool" '$1==t {print $4; exit}' "$raw")"
  done
}

# ---------------------------------------------------------------- report
report() {
  local r
  r=$(ratio "$(median_of load floor wall_s)" "$(median_of load berth wall_s)"); add_ratio "berth/floor load_throughput" "$r" 0.8
  r=$(ratio "$(median_of load floor wall_s)" "$(median_of load cli-ceiling wall_s)")
  printf 'ratio\tcli-ceiling/floor\tload_throughput\t%s\t\t\t\t\tinformative: the docker CLI alone, no daemon work\n' "$r" >>"$SUMMARY"
  if ((PEER)); then
    r=$(ratio "$(median_of load dockerd wall_s)" "$(median_of load berth wall_s)"); add_ratio "berth/dockerd load_throughput" "$r" 1.0
    r=$(ratio "$(median_of api berth "rps_c$API_CONC")" "$(median_of api dockerd "rps_c$API_CONC")"); add_ratio "berth/dockerd images_json_rps_c$API_CONC" "$r" 2.0
    r=$(ratio "$(median_of api dockerd seq_latency_ms)" "$(median_of api berth seq_latency_ms)"); add_ratio "berth/dockerd images_json_speed_seq(p50)" "$r" 1.0
    r=$(ratio "$(median_of api dockerd server_cpu_ms_per_req)" "$(median_of api berth server_cpu_ms_per_req)"); add_ratio "berth/dockerd images_json_cpu_efficiency" "$r" 1.0
    r=$(ratio "$(median_of cli dockerd docker_images_ms)" "$(median_of cli berth docker_images_ms)"); add_ratio "berth/dockerd docker_images_cli_speed" "$r" 1.0
  fi
  echo
  echo "== images_bench results ($OUT)"
  [[ -z $PEER_NOTE ]] || echo "!! $PEER_NOTE"
  column -t -s $'\t' "$SUMMARY"
  echo "(ratios > 1: berth better; load is timed like docker load: no explicit sync, a sync before every timed command)"
}

context() {
  {
    echo "date: $(date -u +%FT%TZ)  host: $(hostname)  kernel: $(uname -r)  cpus: $(nproc)  loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "berth commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo ?)  binaries: $BIN_DIR ($(stat -c %y "$BIN_DIR/berthd" | cut -d. -f1))"
    echo "docker CLI: $("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null)"
    echo "berth server: $(bdocker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>&1), driver $(bdocker info --format '{{.Driver}}' 2>&1)"
    if ((PEER)); then
      echo "dockerd: $(pdocker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>&1), driver $(pdocker info --format '{{.Driver}}' 2>&1), data root $(pdocker info --format '{{.DockerRootDir}}' 2>&1)"
    else echo "dockerd: $PEER_NOTE"; fi
    echo "filesystem of $BENCH_LIB: $(findmnt -no FSTYPE,SOURCE -T "$BENCH_LIB")"
    echo "N=$N WARM=$WARM LOAD_MIB=$LOAD_MIB LAYERS=$LAYERS NIMAGES=$NIMAGES LAT_REQS=$LAT_REQS API_REQS=$API_REQS API_CONC=$API_CONC API_ROUNDS=$API_ROUNDS CLI_N=$CLI_N"
  } | tee "$OUT/context.txt" >&2
}

# ---------------------------------------------------------------- main
main() {
  [[ $(id -u) == 0 ]] || die "run as root"
  [[ -n $DOCKER ]] || die "no docker CLI on PATH (set DOCKER_CLI)"
  local t
  for t in curl python3 tar nsenter ip findmnt column; do command -v "$t" >/dev/null || die "$t missing"; done
  mkdir -p "$OUT" "$WORK" "$BENCH_RUN"
  printf 'group\ttool\tmetric\tmedian\tmin\tmax\tn\tfails\textra\n' >"$SUMMARY"
  trap_cleanup
  local start; start=$(now_us)

  setup_peer
  [[ -z $PEER_NOTE ]] || log "$PEER_NOTE"
  start_berthd
  start_sink
  # the floor extracts on the same filesystem as berth's data root
  [[ $(stat -c %d "$WORK") == $(stat -c %d "$DATA") ]] || die "$WORK and $DATA are on different filesystems"
  context

  local section
  for section in ${SECTIONS:-load api cli}; do
    case $section in
      load) make_load_archive; bench_load; rm -rf "$WORK/x" "$ARCHIVE" ;;
      api) [[ -n ${BERTH_NIMG:-} ]] || load_many; bench_api ;;
      cli) [[ -n ${BERTH_NIMG:-} ]] || load_many; bench_cli ;;
      *) die "unknown section $section (load, api, cli)" ;;
    esac
  done
  report
  log "done in $((($(now_us) - start) / 1000000)) s"
}

main "$@"
