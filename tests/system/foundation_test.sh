#!/bin/bash
# The foundation: berthd's boot sequence, the engine's jobs and the
# gateway, driven by the real docker CLI and by `berth`.
source "$(dirname "$0")/lib.sh"
install_binaries

# No process of this test's daemon runs (they all name its config file).
no_service_left() { ! pgrep -f "$RUN/config.pb" >/dev/null; }

test_docker_version_shows_server() {
  start_berthd
  local out
  out=$(docker version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}')
  assert_eq "$out" "0.1.0 1.43 linux"
  out=$(docker version)
  assert_contains "$out" "Server: berth"
  assert_contains "$out" "minimum version 1.24"
}

test_docker_info() {
  start_berthd --storage-driver vfs
  local out
  out=$(docker info)
  assert_contains "$out" "Server Version: 0.1.0"
  assert_contains "$out" "Docker Root Dir: $DATA"
  assert_contains "$out" "Storage Driver: vfs"
  assert_contains "$out" "CPUs: $(nproc)"
  out=$(docker info --format '{{.NEventsListener}} {{.ID}}')
  # The engine ID is made once and kept in the data root.
  assert_eq "${out#* }" "$(cat "$DATA/engine-id")"
}

test_job_log_then_docker_events() {
  start_berthd
  local since until out
  since=$(date +%s)
  berth job log create c0ffee busybox -e 'attributes={"name":"web"}' >/dev/null
  berth job log die c0ffee busybox >/dev/null
  until=$(( $(date +%s) + 1 ))
  out=$(docker events --since "$since" --until "$until")
  assert_contains "$out" "container create c0ffee (image=busybox, name=web)"
  assert_contains "$out" "container die c0ffee (image=busybox)"
  out=$(docker events --since "$since" --until "$until" --filter event=die)
  assert_not_contains "$out" "create"
  assert_contains "$out" "die c0ffee"
  out=$(docker events --since "$since" --until "$until" --format '{{json .}}' | head -n 1)
  assert_contains "$out" '"Type":"container"'
  # A bad filter is Docker's 400, and the CLI exits non-zero.
  if out=$(docker events --filter colour=red --since 1 --until 2 2>&1); then
    fail "bad filter accepted"
  fi
  assert_contains "$out" "invalid filter 'colour'"
}

test_events_stream_live() {
  start_berthd
  local out="$TEST_ROOT/live.txt"
  docker events --filter type=container >"$out" &
  local cli=$!
  track "$cli"
  wait_for "a subscriber" 10 sh -c "[ \"\$('$BIN/berth' --exec-root '$RUN' job subscribers_count)\" = 1 ]"
  berth job log start feed >/dev/null
  wait_for "the live event" 10 grep -q "container start feed" "$out"
  kill "$cli"
}

test_berth_commands_lists_builtins() {
  start_berthd
  local out
  out=$(berth commands)
  for job in commands version info events log subscribers_count serveapi acceptconnections; do
    assert_contains "$out" "$job"
  done
  out=$(berth job nosuchjob 2>&1) && fail "unknown job succeeded"
  local status=0
  berth job nosuchjob 2>/dev/null || status=$?
  assert_eq "$status" "127" "(exit code of an unknown job)"
  assert_contains "$out" "no such job: nosuchjob"
}

test_stray_argument_and_bad_flags_exit_2() {
  local status=0 out
  out=$("$BIN/berthd" --data-root "$TEST_ROOT/d" stray 2>&1) || status=$?
  assert_eq "$status" 2
  assert_contains "$out" "Usage: berthd"
  status=0
  out=$("$BIN/berthd" --mtu 10 2>&1) || status=$?
  assert_eq "$status" 2
  assert_contains "$out" "--mtu"
  status=0
  out=$("$BIN/berthd" --iptables=maybe 2>&1) || status=$?
  assert_eq "$status" 2
  assert_contains "$out" "--iptables"
  status=0
  out=$("$BIN/berthd" --no-such-flag 2>&1) || status=$?
  assert_eq "$status" 2
  assert_contains "$out" "unknown flag: --no-such-flag"
  # Nothing was started or written.
  [ ! -e "$TEST_ROOT/d" ] || fail "a refused start left $TEST_ROOT/d behind"
}

test_second_berthd_on_same_pidfile_is_refused() {
  start_berthd
  local status=0 out
  out=$(in_netns "$BIN/berthd" --data-root "$DATA" --exec-root "$RUN" 2>&1) || status=$?
  assert_eq "$status" 1
  assert_contains "$out" "pid file found"
  # The first one is untouched.
  assert_eq "$(cat "$RUN/berthd.pid")" "$BERTHD_PID"
  docker version >/dev/null
}

test_engine_killed_is_restarted() {
  start_berthd
  local engine
  engine=$(service_pid berth-engine)
  kill -9 "$engine"
  wait_for "a new engine" 10 sh -c "pgrep -P $BERTHD_PID -f berth-engine | grep -vx $engine"
  wait_for "docker version" 10 docker version
  # Services registered themselves again with the new engine.
  wait_for "serveapi registered" 10 sh -c "'$BIN/berth' --exec-root '$RUN' commands | grep -q serveapi"
  grep -q "berth-engine (pid $engine) died" "$BERTHD_LOG" || fail "the death was not logged"
}

test_gateway_killed_is_restarted_and_serves_again() {
  start_berthd
  kill -9 "$(service_pid berth-gateway)"
  wait_for "the gateway back" 10 docker_ping
  docker version >/dev/null
}

test_service_that_keeps_dying_stops_berthd() {
  start_berthd
  local i
  for i in 1 2 3 4 5 6; do
    local pid
    pid=$(wait_for_gateway_pid) || true
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    sleep 0.3
  done
  local status=0
  wait_for "berthd to give up" 30 sh -c "! kill -0 $BERTHD_PID 2>/dev/null"
  wait "$BERTHD_PID" || status=$?
  assert_eq "$status" 1 "(berthd's exit status)"
  grep -q "keeps dying" "$BERTHD_LOG" || fail "no clear error in the log"
}

wait_for_gateway_pid() {
  local deadline=$(( $(date +%s) + 10 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    local pid
    pid=$(service_pid berth-gateway) && { echo "$pid"; return 0; }
    sleep 0.05
  done
  return 1
}

test_sigterm_lets_job_finish() {
  start_berthd
  local since until out="$TEST_ROOT/job.out"
  since=$(date +%s)
  berth job log create before-term >/dev/null
  until=$(( $(date +%s) + 3 ))
  # A job that runs until `until`: in flight when SIGTERM comes.
  berth job events -e "since=$since" -e "until=$until" >"$out" &
  local job=$!
  wait_for "the job to start" 10 sh -c "grep -q before-term '$out'"
  local start=$(date +%s%N)
  kill -TERM "$BERTHD_PID"
  local status=0
  wait "$BERTHD_PID" || status=$?
  local took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  wait "$job" || fail "the job in flight did not finish cleanly"
  assert_eq "$status" 0 "(berthd's exit status)"
  [ "$took_ms" -lt 15000 ] || fail "shutdown took ${took_ms} ms"
  # It waited for the job, which ran until its end.
  [ "$(date +%s)" -ge "$until" ] || fail "berthd did not wait for the job"
  # Nothing left behind: processes, sockets, pidfile.
  no_service_left || fail "processes left: $(pgrep -af "$RUN/config.pb")"
  [ -z "$(ls -A "$RUN")" ] || fail "left in the run dir: $(ls -A "$RUN")"
}

test_third_sigint_exits_at_once() {
  start_berthd
  local until=$(( $(date +%s) + 20 ))
  berth job events -e "since=1" -e "until=$until" >/dev/null 2>&1 &
  track $!
  sleep 0.3
  local start=$(date +%s%N)
  # Apart, as a user presses Ctrl-C: a signal still pending absorbs a
  # second one of its kind.
  kill -INT "$BERTHD_PID"
  sleep 0.2
  kill -INT "$BERTHD_PID"
  sleep 0.2
  kill -INT "$BERTHD_PID"
  local status=0
  wait "$BERTHD_PID" || status=$?
  local took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  assert_eq "$status" 130 "(berthd's exit status)"
  [ "$took_ms" -lt 3000 ] || fail "forced exit took ${took_ms} ms"
  wait_for "services gone" 5 no_service_left
}

test_ready_only_after_gateway_answers() {
  local notify="$TEST_ROOT/notify.sock" probe_ready="$TEST_ROOT/probe.ready"
  mkdir -p "$TEST_ROOT/$CURRENT/run0"
  python3 "$(dirname "$0")/notify_probe.py" "$notify" "$TEST_ROOT/$CURRENT/run0/docker.sock" \
    "$probe_ready" >"$TEST_ROOT/probe.out" 2>&1 &
  local probe=$!
  track "$probe"
  wait_for "the probe" 10 test -e "$probe_ready"
  NOTIFY_SOCKET="$notify" start_berthd
  local status=0
  wait "$probe" || status=$?
  cat "$TEST_ROOT/probe.out"
  assert_eq "$status" 0 "(the gateway must answer when READY=1 arrives)"
  assert_contains "$(cat "$TEST_ROOT/probe.out")" "ping status when READY=1 arrived: 200"
}

test_api_versions_and_ping() {
  start_berthd
  local out
  out=$(curl -s --unix-socket "$SOCK" -D - http://localhost/_ping)
  assert_contains "$out" "Api-Version: 1.43"
  assert_contains "$out" "Ostype: linux"
  assert_contains "$out" "Docker-Experimental: false"
  assert_contains "$out" "OK"
  out=$(curl -s --unix-socket "$SOCK" -I http://localhost/_ping)
  assert_contains "$out" "HTTP/1.1 200"
  out=$(curl -s --unix-socket "$SOCK" -w ' %{http_code}' http://localhost/v1.99/version)
  assert_contains "$out" '{"message":"client version 1.99 is too new. Maximum supported API version is 1.43"}'
  assert_contains "$out" " 400"
  out=$(curl -s --unix-socket "$SOCK" -w ' %{http_code}' http://localhost/v1.12/version)
  assert_contains "$out" "is too old. Minimum supported API version is 1.24"
  out=$(curl -s --unix-socket "$SOCK" -w ' %{http_code}' http://localhost/v1.24/version)
  assert_contains "$out" '"ApiVersion":"1.43"'
  out=$(curl -s --unix-socket "$SOCK" -w '%{http_code}' http://localhost/nowhere)
  assert_eq "$out" $'{"message":"page not found"}\n404'
  # The socket is 0660, as dockerd makes it.
  assert_eq "$(stat -c %a "$SOCK")" 660
}

test_tcp_hosts_and_tls() {
  # Plain TCP on a non-loopback address is refused outright.
  local status=0 out
  out=$(in_netns "$BIN/berthd" --data-root "$TEST_ROOT/d1" --exec-root "$TEST_ROOT/r1" \
    -H tcp://0.0.0.0:2375 2>&1) || status=$?
  assert_eq "$status" 1 "(berthd's exit status)"
  assert_contains "$out" "TLS"

  # Loopback TCP beside the unix socket.
  INSTANCE=2 start_berthd -H unix:// -H tcp://127.0.0.1:2375
  in_netns env DOCKER_HOST=tcp://127.0.0.1:2375 docker version >/dev/null
  kill -TERM "$BERTHD_PID"; wait "$BERTHD_PID"

  # TLS with client verification, certificates made here.
  local pki="$TEST_ROOT/pki"
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    for who in server client; do
      openssl req -newkey rsa:2048 -nodes -subj "/CN=$who" \
        -keyout "$who-key.pem" -out "$who.csr" 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=%s\n' \
        "$([ $who = server ] && echo serverAuth || echo clientAuth)" >"$who.ext"
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca-key.pem \
        -CAcreateserial -days 1 -extfile "$who.ext" -out "$who.pem" 2>/dev/null
    done
  )
  INSTANCE=3 start_berthd -H unix:// -H tcp://0.0.0.0:2376 --tlsverify \
    --tlscacert "$pki/ca.pem" --tlscert "$pki/server.pem" --tlskey "$pki/server-key.pem"
  local out
  out=$(in_netns docker -H tcp://127.0.0.1:2376 --tlsverify --tlscacert "$pki/ca.pem" \
    --tlscert "$pki/client.pem" --tlskey "$pki/client-key.pem" \
    version --format '{{.Server.Version}}')
  assert_eq "$out" "0.1.0"
  if in_netns docker -H tcp://127.0.0.1:2376 --tlsverify --tlscacert "$pki/ca.pem" \
      version >/dev/null 2>&1; then
    fail "a client without a certificate was served"
  fi
}

test_socket_activation_and_group() {
  # systemd's protocol: the socket is made by the activator and handed
  # down through berthd to the gateway as fd 3.
  local activated="$TEST_ROOT/activated.sock"
  DATA="$TEST_ROOT/data"
  RUN="$TEST_ROOT/run"
  SOCK="$activated"
  BERTHD_LOG="$TEST_ROOT/berthd0.log"
  nsenter --net="/run/netns/$NETNS" systemd-socket-activate -l "$activated" \
    "$BIN/berthd" --data-root "$DATA" --exec-root "$RUN" -H fd:// \
    -H unix:// --group daemon >"$BERTHD_LOG" 2>&1 &
  BERTHD_PID=$!
  track "$BERTHD_PID"
  wait_for "the activated socket" 20 docker_ping
  docker -H "unix://$activated" version >/dev/null
  # The berthd-made socket belongs to the group asked for.
  assert_eq "$(stat -c '%a %G' "$RUN/docker.sock")" "660 daemon"
  # An explicitly named group that does not exist is an error.
  local status=0 out
  out=$(in_netns "$BIN/berthd" --data-root "$TEST_ROOT/d2" --exec-root "$TEST_ROOT/r2" \
    --group no-such-group 2>&1) || status=$?
  assert_eq "$status" 1 "(exit status with a missing --group)"
  assert_contains "$out" "no-such-group"
}

run_test docker_version_shows_server test_docker_version_shows_server
run_test docker_info test_docker_info
run_test job_log_then_docker_events test_job_log_then_docker_events
run_test events_stream_live test_events_stream_live
run_test berth_commands_lists_builtins test_berth_commands_lists_builtins
run_test stray_argument_and_bad_flags_exit_2 test_stray_argument_and_bad_flags_exit_2
run_test second_berthd_on_same_pidfile_is_refused test_second_berthd_on_same_pidfile_is_refused
run_test engine_killed_is_restarted test_engine_killed_is_restarted
run_test gateway_killed_is_restarted test_gateway_killed_is_restarted_and_serves_again
run_test service_that_keeps_dying_stops_berthd test_service_that_keeps_dying_stops_berthd
run_test sigterm_lets_job_finish test_sigterm_lets_job_finish
run_test third_sigint_exits_at_once test_third_sigint_exits_at_once
run_test ready_only_after_gateway_answers test_ready_only_after_gateway_answers
run_test api_versions_and_ping test_api_versions_and_ping
run_test tcp_hosts_and_tls test_tcp_hosts_and_tls
run_test socket_activation_and_group test_socket_activation_and_group
finish
