#!/bin/bash
# Containers: docker run and friends through the real docker CLI against
# berthd in a fresh netns, with each container held by its berth-shim, on
# the exec driver BERTH_EXEC_DRIVER names (native by default; oci drives
# runc).
source "$(dirname "$0")/lib.sh"
install_binaries
MAKE_IMAGE="python3 $(dirname "$0")/make_image.py"

# berthd with busybox:latest loaded.
start_with_busybox() {
  start_berthd --exec-driver "${BERTH_EXEC_DRIVER:-native}" "$@"
  $MAKE_IMAGE "$TEST_ROOT/busybox.tar" --tag busybox:latest >/dev/null
  docker load -i "$TEST_ROOT/busybox.tar" >/dev/null
}

test_run_output_and_exit_codes() {
  start_with_busybox
  assert_eq "$(docker run --rm busybox echo hello world)" "hello world"
  local out status
  out=$(docker run --rm busybox sh -c 'echo out; echo err >&2; exit 7' 2>"$TEST_ROOT/err") && status=0 || status=$?
  assert_eq "$status" 7
  assert_eq "$out" "out"
  assert_eq "$(cat "$TEST_ROOT/err")" "err"
  # Docker's codes for what cannot run: 127 not found, 126 not executable.
  out=$(docker run --rm busybox nosuchcmd 2>&1) && status=0 || status=$?
  assert_eq "$status" 127
  assert_contains "$out" 'exec: "nosuchcmd": executable file not found in $PATH'
  out=$(docker run --rm busybox /etc/passwd 2>&1) && status=0 || status=$?
  assert_eq "$status" 126
  out=$(docker run --rm nosuchimage true 2>&1) && status=0 || status=$?
  assert_eq "$status" 125
  # --rm left nothing, the failed ones included.
  assert_eq "$(docker ps -aq | wc -l)" 0
  [ -z "$(ls -A "$DATA/containers")" ] || fail "container state left: $(ls "$DATA/containers")"
  [ -z "$(ls -A "$RUN/containers")" ] || fail "bundles left: $(ls "$RUN/containers")"
}

test_stdin_and_tty() {
  start_with_busybox
  head -c 1048576 /dev/urandom >"$TEST_ROOT/in.bin"
  local want got
  want=$(md5sum <"$TEST_ROOT/in.bin" | cut -d' ' -f1)
  got=$(docker run --rm -i busybox md5sum <"$TEST_ROOT/in.bin" | cut -d' ' -f1)
  assert_eq "$got" "$want"
  # A tty: the container's stdio is a terminal, TERM is set, and the
  # output comes back raw (CRLF line ends, as a terminal makes them).
  got=$(docker run --rm -t busybox sh -c 'test -t 0 && test -t 1 && echo "tty $TERM"' </dev/null)
  assert_eq "$got" $'tty xterm\r'
}

test_detached_logs_stop_rm() {
  start_with_busybox
  local id
  id=$(docker run -d --name web -l app=demo busybox sh -c \
    'trap "echo bye; exit 0" TERM; echo started; while true; do sleep 0.1; done')
  wait_for "the container logs" 10 sh -c "docker logs web 2>/dev/null | grep -q started"
  assert_eq "$(docker inspect -f '{{.State.Status}} {{.State.Running}} {{.Name}}' web)" "running true /web"
  [ "$(docker inspect -f '{{.State.Pid}}' web)" -gt 0 ] || fail "no pid"
  assert_eq "$(docker ps --filter label=app=demo --format '{{.ID}} {{.Names}}')" "${id:0:12} web"
  assert_eq "$(docker ps --filter status=exited -q | wc -l)" 0
  # A second container by that name is Docker's 409.
  local out
  out=$(docker run -d --name web busybox true 2>&1) && fail "a name conflict was accepted"
  assert_contains "$out" 'The container name "/web" is already in use'
  # Running: rm refuses without force.
  out=$(docker rm web 2>&1) && fail "rm of a running container succeeded"
  assert_contains "$out" "container is running"
  # logs -f follows until the container stops; stop sends TERM first.
  docker logs -f web >"$TEST_ROOT/follow" 2>&1 &
  local follower=$!
  track "$follower"
  docker stop -t 5 web >/dev/null
  wait "$follower"
  assert_eq "$(cat "$TEST_ROOT/follow")" $'started\nbye'
  assert_eq "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' web)" "exited 0"
  assert_eq "$(docker ps -a --filter exited=0 --format '{{.Names}}')" "web"
  assert_eq "$(docker logs --tail 1 web)" "bye"
  docker rm web >/dev/null
  out=$(docker inspect web 2>&1) && fail "inspect of a removed container succeeded"
  assert_contains "$out" "No such"
}

test_isolation_and_limits() {
  start_with_busybox
  # Its own pid namespace: it sees itself as 1 and none of the host's.
  assert_eq "$(docker run --rm busybox sh -c 'echo $$')" "1"
  local procs
  procs=$(docker run --rm busybox sh -c 'ls -d /proc/[0-9]* | wc -l')
  [ "$procs" -le 3 ] || fail "the container sees $procs processes"
  assert_eq "$(docker run --rm --hostname box1 busybox hostname)" "box1"
  # No mounting, no /proc/sys writes, Docker's capabilities only.
  docker run --rm busybox mount -t tmpfs none /tmp 2>/dev/null && fail "mount worked"
  docker run --rm busybox sh -c 'echo x >/proc/sys/kernel/hostname' 2>/dev/null &&
    fail "/proc/sys is writable"
  # Its network namespace has loopback and nothing of the host's.
  assert_eq "$(docker run --rm --network none busybox ls /sys/class/net)" "lo"
  assert_eq "$(docker run --rm -u 1000:1000 busybox id -u)" "1000"
  docker run --rm --read-only busybox touch /x 2>/dev/null && fail "--read-only rootfs is writable"
  mkdir -p "$TEST_ROOT/share"
  echo from-host >"$TEST_ROOT/share/f"
  assert_eq "$(docker run --rm -v "$TEST_ROOT/share:/data:ro" busybox cat /data/f)" "from-host"
  docker run --rm -v "$TEST_ROOT/share:/data:ro" busybox touch /data/g 2>/dev/null &&
    fail "a read-only bind is writable"
  docker run --rm -v "$TEST_ROOT/share:/data" busybox sh -c 'echo back >/data/g'
  assert_eq "$(cat "$TEST_ROOT/share/g")" "back"
  assert_eq "$(docker run --rm --tmpfs /scratch busybox sh -c 'grep -c " /scratch tmpfs" /proc/mounts')" "1"
  # Memory limit: in the container's cgroup, as the host sees it.
  local id limit
  id=$(docker run -d --memory 64m busybox sleep 30)
  limit=$(cat "/sys/fs/cgroup/memory/berth/$id/memory.limit_in_bytes" 2>/dev/null ||
    cat "/sys/fs/cgroup/berth/$id/memory.max")
  assert_eq "$limit" $((64 << 20))
  docker rm -f "$id" >/dev/null
  [ ! -d "/sys/fs/cgroup/memory/berth/$id" ] || fail "the cgroup outlived the container"
  # Bad input is refused with Docker's words and leaves nothing.
  local out
  out=$(docker run --rm --memory 1k busybox true 2>&1) && fail "a 1k memory limit was accepted"
  assert_contains "$out" "Minimum memory limit allowed is 6MB"
  out=$(docker run --rm --mount type=bind,source=/nonexistent,target=/x busybox true 2>&1) &&
    fail "a missing bind source was accepted"
  assert_contains "$out" "bind source path does not exist"
  assert_eq "$(docker ps -aq | wc -l)" 0
}

test_kill_restart_policy_and_rmi() {
  start_with_busybox
  docker run -d --name kk busybox sh -c 'trap "exit 42" USR1; while true; do sleep 0.1; done' >/dev/null
  sleep 0.3
  docker kill -s USR1 kk >/dev/null
  assert_eq "$(docker wait kk)" "42"
  # The image is in use: rmi refuses it.
  local out
  out=$(docker rmi busybox 2>&1) && fail "rmi of an image in use succeeded"
  assert_contains "$out" "is using its referenced image"
  docker image inspect busybox >/dev/null || fail "the refused rmi removed the image"
  docker rm kk >/dev/null
  # on-failure:2 restarts twice, then leaves it exited.
  docker run -d --name rr --restart on-failure:2 busybox sh -c 'echo run; exit 3' >/dev/null
  wait_for "two restarts" 15 sh -c \
    "[ \"\$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' rr)\" = '2 exited' ]"
  assert_eq "$(docker logs rr | grep -c run)" 3
  docker rm rr >/dev/null
}

test_concurrent_runs() {
  start_with_busybox
  local i runs=()
  for i in $(seq 20); do
    docker run --rm busybox sh -c "echo run-$i" >"$TEST_ROOT/c$i" 2>&1 &
    runs+=($!)
    track $!
  done
  wait "${runs[@]}"
  for i in $(seq 20); do
    assert_eq "$(cat "$TEST_ROOT/c$i")" "run-$i"
  done
  assert_eq "$(docker ps -aq | wc -l)" 0
}

test_daemon_killed_container_survives() {
  start_with_busybox
  docker run -d --name survivor busybox sh -c \
    'echo before; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo after; exit 3' >/dev/null
  wait_for "the container logs" 10 sh -c "docker logs survivor 2>/dev/null | grep -q before"
  local daemon pid
  daemon=$(service_pid berth-daemon)
  pid=$(docker inspect -f '{{.State.Pid}}' survivor)
  kill -9 "$daemon"
  # While berth-daemon is down, the container runs on and then exits.
  kill -0 "$pid" || fail "the container died with berth-daemon"
  nsenter -t "$pid" -m touch /tmp/go
  wait_for "berth-daemon back" 20 sh -c \
    "[ -n \"\$(pgrep -P $BERTHD_PID -f berth-daemon)\" ] && [ \"\$(pgrep -P $BERTHD_PID -f berth-daemon)\" != $daemon ]"
  wait_for "the exit recorded" 20 sh -c \
    "[ \"\$(docker inspect -f '{{.State.Status}}' survivor 2>/dev/null)\" = exited ]"
  assert_eq "$(docker inspect -f '{{.State.ExitCode}}' survivor)" "3"
  assert_eq "$(docker logs survivor)" $'before\nafter'
  docker rm survivor >/dev/null
}

test_exec_top_pause_stats_rename() {
  start_with_busybox
  docker run -d --name box busybox sh -c 'echo ready; while true; do sleep 0.1; done' >/dev/null
  wait_for "the container logs" 10 sh -c "docker logs box 2>/dev/null | grep -q ready"
  if [ "${BERTH_EXEC_DRIVER:-native}" = oci ]; then
    # runc holds it, in berth's own state dir.
    assert_contains "$(runc --root "$RUN/runc" list -q)" "$(docker inspect -f '{{.Id}}' box)"
  fi
  # exec: output, exit code, stdin, the exec's env/user/workdir, a tty.
  assert_eq "$(docker exec box echo hi)" "hi"
  local out status
  docker exec box sh -c 'exit 5' && status=0 || status=$?
  assert_eq "$status" 5
  assert_eq "$(echo piped | docker exec -i box cat)" "piped"
  assert_eq "$(docker exec -e FOO=bar -u 1000 -w /tmp box sh -c 'echo $FOO $(id -u) $(pwd)')" "bar 1000 /tmp"
  assert_eq "$(docker exec -t box sh -c 'test -t 1 && echo tty' </dev/null)" $'tty\r'
  out=$(docker exec box nosuchcmd 2>&1) && status=0 || status=$?
  assert_eq "$status" 127
  assert_contains "$out" 'executable file not found'
  # A detached exec runs on, and top shows it among the container's
  # processes (and none of the host's).
  docker exec -d box sleep 77
  wait_for "top shows the detached exec" 10 sh -c "docker top box | grep -q 'sleep 77'"
  assert_eq "$(docker top box -o pid,comm | head -1 | tr -s ' ')" "PID COMMAND"
  docker top box | grep -q berthd && fail "top shows host processes"
  # pause freezes it: no exec, "(Paused)" in ps; unpause resumes.
  docker pause box >/dev/null
  assert_eq "$(docker inspect -f '{{.State.Status}} {{.State.Paused}}' box)" "paused true"
  assert_contains "$(docker ps --format '{{.Status}}')" "(Paused)"
  out=$(docker exec box true 2>&1) && fail "exec into a paused container worked"
  assert_contains "$out" "is paused"
  out=$(docker pause box 2>&1) && fail "pausing twice worked"
  docker unpause box >/dev/null
  assert_eq "$(docker exec box echo back)" "back"
  # stats from the container's cgroup; info counts it.
  local pids
  pids=$(docker stats --no-stream --format '{{.Name}} {{.PIDs}}' box)
  case "$pids" in "box "[2-9]*) ;; *) fail "stats: $pids" ;; esac
  assert_eq "$(docker info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}}')" "1 1 0"
  # rename keeps it running under the new name.
  docker rename box box2
  assert_eq "$(docker inspect -f '{{.Name}}' box2)" "/box2"
  assert_eq "$(docker exec box2 echo renamed)" "renamed"
  out=$(docker rename box2 box2 2>&1) && fail "renaming to the same name worked"
  docker rm -f box2 >/dev/null
  out=$(docker exec box2 true 2>&1) && fail "exec into a removed container worked"
  assert_contains "$out" "No such container"
  # prune takes the stopped ones only.
  docker run --name p1 busybox true
  local p1
  p1=$(docker inspect -f '{{.Id}}' p1)
  docker run -d --name keep busybox sleep 30 >/dev/null
  out=$(docker container prune -f)
  assert_contains "$out" "$p1"
  assert_eq "$(docker ps -a --format '{{.Names}}')" "keep"
  docker rm -f keep >/dev/null
}

test_init_oom_and_security() {
  start_with_busybox
  # --init: tini is pid 1 and the command its child.
  assert_contains "$(docker run --rm --init busybox cat /proc/1/cmdline | tr '\0' ' ')" "docker-init"
  # An OOM kill is reported as Docker does: 137 and OOMKilled.
  local status
  docker run --name oom --memory 8m busybox sh -c 'x=aaaaaaaa; while true; do x=$x$x; done' \
    >/dev/null 2>&1 && status=0 || status=$?
  assert_eq "$status" 137
  assert_eq "$(docker inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom)" "true 137"
  docker rm oom >/dev/null
  # Limits land in the container's own cgroup and rlimits.
  local id quota
  id=$(docker run -d --cpus 0.5 --pids-limit 12 busybox sleep 30)
  quota=$(cat "/sys/fs/cgroup/cpu/berth/$id/cpu.cfs_quota_us" 2>/dev/null ||
    cut -d' ' -f1 "/sys/fs/cgroup/berth/$id/cpu.max")
  assert_eq "$quota" 50000
  assert_eq "$(cat "/sys/fs/cgroup/pids/berth/$id/pids.max" 2>/dev/null ||
    cat "/sys/fs/cgroup/berth/$id/pids.max")" 12
  docker rm -f "$id" >/dev/null
  assert_eq "$(docker run --rm --ulimit nofile=100:200 busybox sh -c 'ulimit -n')" 100
  # The default seccomp filter is on unless unconfined or privileged.
  local seccomp='grep Seccomp: /proc/self/status | cut -f2'
  assert_eq "$(docker run --rm busybox sh -c "$seccomp")" 2
  assert_eq "$(docker run --rm --security-opt seccomp=unconfined busybox sh -c "$seccomp")" 0
  assert_eq "$(docker run --rm --privileged busybox sh -c "mount -t tmpfs none /tmp && $seccomp")" 0
  assert_eq "$(docker run --rm --security-opt no-new-privileges busybox sh -c 'grep NoNewPrivs: /proc/self/status | cut -f2')" 1
  docker run --rm --cap-drop CHOWN busybox chown 1 /tmp 2>/dev/null && fail "--cap-drop CHOWN did not drop it"
  docker run --rm --cap-add SYS_ADMIN --security-opt seccomp=unconfined busybox mount -t tmpfs none /tmp ||
    fail "--cap-add SYS_ADMIN did not allow a mount"
  assert_eq "$(docker ps -aq | wc -l)" 0
}

test_volumes() {
  start_with_busybox
  local out
  # A named volume is made on first use and outlives its containers.
  docker run --rm -v data:/data busybox sh -c 'echo kept >/data/f'
  assert_eq "$(docker run --rm -v data:/data:ro busybox cat /data/f)" "kept"
  docker run --rm -v data:/data:ro busybox sh -c 'echo x >/data/g' 2>/dev/null &&
    fail "a read-only volume is writable"
  # In use while a container has it, stopped or running.
  docker run -d --name holder -v data:/data busybox sleep 30 >/dev/null
  assert_eq "$(docker inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}}{{end}}' holder)" \
    "volume data /data true"
  out=$(docker volume rm data 2>&1) && fail "a volume in use was removed"
  assert_contains "$out" "volume is in use"
  docker stop -t 0 holder >/dev/null
  out=$(docker volume rm data 2>&1) && fail "a volume of a stopped container was removed"
  docker rm holder >/dev/null
  docker volume rm data >/dev/null
  # Copy-up: a new volume on a path of the image starts with its content.
  assert_eq "$(docker run --rm -v etcvol:/etc busybox head -1 /etc/passwd)" "root:x:0:0:root:/root:/bin/sh"
  [ -f "$(docker volume inspect -f '{{.Mountpoint}}' etcvol)/passwd" ] || fail "no copy-up on the host"
  # Anonymous volumes: -v /path; --rm and rm -v take them, plain rm not.
  docker run --rm -v /scratch busybox touch /scratch/x
  assert_eq "$(docker volume ls -q)" "etcvol"
  docker run -d --name anon -v /scratch busybox sleep 30 >/dev/null
  local anon
  anon=$(docker inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon)
  [ ${#anon} -eq 64 ] || fail "anonymous volume name: $anon"
  docker rm -f -v anon >/dev/null
  assert_eq "$(docker volume ls -q)" "etcvol"
  docker run --name keepvol -v /scratch busybox true
  docker rm keepvol >/dev/null
  assert_eq "$(docker volume ls -q | wc -l)" 2
  # system df counts images, containers and volumes, and who uses what.
  docker run --name dfc -v etcvol:/etc busybox true
  assert_eq "$(docker system df --format '{{.Type}}={{.TotalCount}}/{{.Active}}' | tr '\n' ' ')" \
    "Images=1/1 Containers=1/0 Local Volumes=2/1 Build Cache=0/0 "
  assert_contains "$(docker ps -as --format '{{.Size}}')" "virtual"
  docker rm dfc >/dev/null
  # prune: anonymous only, unless -a.
  docker volume prune -f >/dev/null
  assert_eq "$(docker volume ls -q)" "etcvol"
  docker volume prune -af >/dev/null
  assert_eq "$(docker volume ls -q | wc -l)" 0
}

# docker diff, cp, export and commit against the berthd started last,
# whose graph driver is $1.
diff_cp_export_commit_on() {
  local driver=$1 out status id
  assert_eq "$(docker info --format '{{.Driver}}')" "$driver"
  docker run -d --name fs busybox sh -c 'echo content >/tmp/x;
    busybox rm /etc/passwd; echo ready; while true; do sleep 0.1; done' >/dev/null
  wait_for "the container's changes" 10 sh -c "docker logs fs 2>/dev/null | grep -q ready"
  # Docker's lines, and none for the mount targets of the init layer
  # (/etc/hosts, /etc/resolv.conf, /.dockerenv, /dev/console, ...).
  assert_eq "$(docker diff fs)" $'C /etc\nD /etc/passwd\nC /tmp\nA /tmp/x'
  # The same through the seed's jobs.
  assert_contains "$(berth job container_changes fs)" '{"Kind":1,"Path":"/tmp/x"}'
  assert_eq "$(berth job container_copy fs /tmp/x | tar -xO)" "content"

  # cp in: a file, a directory, and a tar on stdin.
  echo from-host >"$TEST_ROOT/f.txt"
  mkdir -p "$TEST_ROOT/d/sub"
  echo nested >"$TEST_ROOT/d/sub/n.txt"
  docker cp "$TEST_ROOT/f.txt" fs:/tmp/f.txt
  docker cp "$TEST_ROOT/d" fs:/tmp/
  tar -C "$TEST_ROOT" -cf - f.txt | docker cp - fs:/bin
  assert_eq "$(docker exec fs cat /tmp/f.txt /tmp/d/sub/n.txt /bin/f.txt)" \
    $'from-host\nnested\nfrom-host'
  # cp out: a file, a directory, a tar on stdout.
  docker cp fs:/tmp/x "$TEST_ROOT/x.out"
  assert_eq "$(cat "$TEST_ROOT/x.out")" "content"
  docker cp fs:/tmp/d "$TEST_ROOT/d.out"
  assert_eq "$(cat "$TEST_ROOT/d.out/sub/n.txt")" "nested"
  assert_eq "$(docker cp fs:/etc/hostname - | tar -t)" "hostname"
  # Missing paths, a read-only rootfs: Docker's words, a failed exit.
  out=$(docker cp fs:/nope "$TEST_ROOT/nope" 2>&1) && status=0 || status=$?
  [ "$status" -ne 0 ] || fail "cp of a missing path succeeded"
  assert_contains "$out" "Could not find the file /nope in container fs"
  out=$(docker cp "$TEST_ROOT/f.txt" fs:/nodir/f.txt 2>&1) && fail "cp into a missing directory succeeded"
  assert_contains "$out" "Could not find the file /nodir in container fs"
  docker run -d --name ro --read-only busybox sleep 30 >/dev/null
  out=$(docker cp "$TEST_ROOT/f.txt" ro:/tmp/ 2>&1) && fail "cp into a --read-only container succeeded"
  assert_contains "$out" "container rootfs is marked read-only"
  docker rm -f ro >/dev/null

  # export: the image's files, the changes, not what was deleted.
  docker export fs >"$TEST_ROOT/fs.tar"
  out=$(tar -tf "$TEST_ROOT/fs.tar")
  for path in bin/busybox hello.txt tmp/x tmp/d/sub/n.txt; do
    grep -qx "$path" <<<"$out" || fail "export lacks $path"
  done
  grep -qx etc/passwd <<<"$out" && fail "export has the deleted /etc/passwd"
  assert_eq "$(tar -xOf "$TEST_ROOT/fs.tar" tmp/x)" "content"

  # commit of the running container: paused meanwhile, running after.
  id=$(docker commit -c 'CMD ["cat","/tmp/x"]' -m "the message" -a tester fs newimg:v1)
  assert_eq "$(docker image inspect -f '{{.Id}}' newimg:v1)" "$id"
  assert_eq "$(docker inspect -f '{{.State.Status}}' fs)" "running"
  assert_eq "$(docker run --rm newimg:v1)" "content"
  docker run --rm newimg:v1 test -e /etc/passwd && fail "the commit kept the deleted /etc/passwd"
  assert_eq "$(docker history --format '{{.Comment}}' newimg:v1 | head -1)" "the message"
  assert_eq "$(docker image inspect -f '{{.Comment}}|{{.Author}}|{{.Container}}' newimg:v1)" \
    "the message|tester|$(docker inspect -f '{{.Id}}' fs)"
  assert_eq "$(docker image inspect -f '{{.Parent}}' newimg:v1)" \
    "$(docker image inspect -f '{{.Id}}' busybox)"
  # A container of the new image has changed nothing yet.
  docker run --name fresh newimg:v1 >/dev/null
  assert_eq "$(docker diff fresh)" ""
  # Not paused, and stopped: the commit still works.
  docker stop -t 0 fs >/dev/null
  docker commit --pause=false fs newimg:v2 >/dev/null
  assert_eq "$(docker run --rm newimg:v2 cat /bin/f.txt)" "from-host"
  out=$(docker commit nosuch 2>&1) && fail "commit of a missing container succeeded"
  assert_contains "$out" "No such container: nosuch"
  docker rm -f fs fresh >/dev/null
  docker rmi newimg:v1 newimg:v2 >/dev/null
}

test_diff_cp_export_commit() {
  start_with_busybox
  diff_cp_export_commit_on overlay
  # The same on vfs, where a container's layer is a full copy.
  INSTANCE=1 start_with_busybox --storage-driver vfs
  diff_cp_export_commit_on vfs
}

run_test run_output_and_exit_codes test_run_output_and_exit_codes
run_test stdin_and_tty test_stdin_and_tty
run_test detached_logs_stop_rm test_detached_logs_stop_rm
run_test isolation_and_limits test_isolation_and_limits
run_test kill_restart_policy_and_rmi test_kill_restart_policy_and_rmi
run_test concurrent_runs test_concurrent_runs
run_test daemon_killed_container_survives test_daemon_killed_container_survives
run_test exec_top_pause_stats_rename test_exec_top_pause_stats_rename
run_test init_oom_and_security test_init_oom_and_security
run_test diff_cp_export_commit test_diff_cp_export_commit
run_test volumes test_volumes
finish
