#!/bin/bash
# Images: berth-daemon's layer and image stores behind the docker CLI, on
# both graph drivers, with hostile archives refused without a trace.
source "$(dirname "$0")/lib.sh"
install_binaries
MAKE_IMAGE="python3 $(dirname "$0")/make_image.py"

# Nothing of a refused or removed image remains: no image, no layer
# metadata, no graph-driver layer, no staged or stored blob.
store_is_empty() {
  [ -z "$(docker images -aq)" ] || fail "images left: $(docker images -a)"
  [ -z "$(ls "$DATA/image/layers" | grep -v '^incomplete$')" ] ||
    fail "layer metadata left: $(ls "$DATA/image/layers")"
  [ -z "$(ls -A "$DATA/image/layers/incomplete")" ] || fail "incomplete markers left"
  [ -z "$(ls -A "$DATA/image/blobs/sha256")" ] || fail "blobs left: $(ls "$DATA/image/blobs/sha256")"
  [ -z "$(ls -A "$DATA/image/blobs/tmp")" ] || fail "staged files left"
  local layers
  layers=$(find "$DATA/graph" -mindepth 2 -maxdepth 3 -path '*/dir/*' -o \
    -mindepth 2 -maxdepth 2 -path '*/overlay/*' ! -name l | head -5)
  [ -z "$layers" ] || fail "graph-driver layers left: $layers"
}

load_inspect_tag_rmi() {
  local driver=$1
  start_berthd --storage-driver "$driver"
  local meta id out
  meta=$($MAKE_IMAGE "$TEST_ROOT/img.tar" --tag busybox:latest --label one)
  id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$meta")
  out=$(docker load -i "$TEST_ROOT/img.tar")
  assert_contains "$out" "Loaded image: busybox:latest"
  out=$(docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}')
  assert_eq "$out" "busybox:latest ${id:7:12}"
  assert_eq "$(docker image inspect -f '{{.Id}} {{.Os}} {{len .RootFS.Layers}}' busybox)" "$id linux 2"
  assert_eq "$(docker image inspect -f '{{index .Config.Labels "test"}}' busybox)" "one"
  assert_eq "$(docker image inspect -f '{{.GraphDriver.Name}}' busybox)" "$driver"
  # Short IDs and full IDs name it too.
  assert_eq "$(docker image inspect -f '{{.Id}}' "${id:7:8}")" "$id"
  out=$(docker history --format '{{.CreatedBy}}|{{.Size}}' busybox)
  assert_contains "$out" 'CMD ["sh"]|0B'
  assert_contains "$out" "layer 0|"
  # The layers really are applied, whiteout included.
  local upper
  upper=$(docker image inspect -f '{{.GraphDriver.Data.UpperDir}}' busybox)
  if [ "$driver" = vfs ]; then
    [ -x "$upper/bin/busybox" ] || fail "busybox missing from the vfs layer"
    [ ! -e "$upper/gone/file" ] || fail "the whiteout was not applied"
  else
    [ "$(stat -c '%F %t:%T' "$upper/gone")" = "character special file 0:0" ] ||
      fail "no overlay whiteout for /gone"
  fi
  assert_eq "$(cat "$upper/hello.txt")" "hello from busybox:latest"

  docker tag busybox:latest my/box:v1
  out=$(docker images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')
  assert_eq "$out" "busybox:latest my/box:v1 "
  out=$(docker rmi my/box:v1)
  assert_eq "$out" "Untagged: my/box:v1"
  docker tag busybox my/box:v2
  # By ID with two names: Docker's 409 unless forced.
  if out=$(docker rmi "${id:7:12}" 2>&1); then fail "rmi by ID with two tags succeeded"; fi
  assert_contains "$out" "must be forced"
  out=$(docker rmi -f "${id:7:12}")
  assert_contains "$out" "Untagged: busybox:latest"
  assert_contains "$out" "Untagged: my/box:v2"
  assert_contains "$out" "Deleted: $id"
  store_is_empty
  out=$(docker rmi busybox 2>&1) && fail "removing a missing image succeeded"
  assert_contains "$out" "No such image: busybox"
}

test_load_inspect_tag_rmi_vfs() { load_inspect_tag_rmi vfs; }
test_load_inspect_tag_rmi_overlay() { load_inspect_tag_rmi overlay; }

test_save_load_round_trip_and_restart() {
  start_berthd --storage-driver overlay
  $MAKE_IMAGE "$TEST_ROOT/a.tar" --tag a:1 --gzip >/dev/null
  $MAKE_IMAGE "$TEST_ROOT/b.tar" --tag b:1 --layers 4 >/dev/null
  docker load -i "$TEST_ROOT/a.tar" >/dev/null
  docker load -q -i "$TEST_ROOT/b.tar" >/dev/null
  local before after layers_before out
  before=$(docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
  layers_before=$(docker image inspect -f '{{.RootFS.Layers}}' a:1 b:1)
  docker save a:1 b:1 -o "$TEST_ROOT/saved.tar"
  # Layer blobs in the archive are named by their own digest.
  (cd "$TEST_ROOT" && mkdir x && tar -xf saved.tar -C x && cd x/blobs/sha256 &&
    for f in *; do [ "$(sha256sum "$f" | cut -c1-64)" = "$f" ] || exit 1; done) ||
    fail "a saved blob does not match its name"
  docker rmi a:1 b:1 >/dev/null
  store_is_empty
  docker load -i "$TEST_ROOT/saved.tar" >/dev/null
  after=$(docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
  assert_eq "$after" "$before"
  assert_eq "$(docker image inspect -f '{{.RootFS.Layers}}' a:1 b:1)" "$layers_before"
  # The same archive as a bare OCI layout (no manifest.json) loads too.
  docker rmi a:1 b:1 >/dev/null
  (cd "$TEST_ROOT/x" && rm manifest.json && tar -cf ../oci.tar .)
  out=$(docker load -i "$TEST_ROOT/oci.tar")
  assert_contains "$out" "Loaded image: a:1"
  after=$(docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
  assert_eq "$after" "$before"
  # A restart keeps every image.
  kill -TERM "$BERTHD_PID"
  wait "$BERTHD_PID"
  start_berthd --storage-driver overlay
  after=$(docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
  assert_eq "$after" "$before"
  # The root remembers its driver.
  kill -TERM "$BERTHD_PID"
  wait "$BERTHD_PID"
  local status=0
  out=$(in_netns timeout 30 "$BIN/berthd" --data-root "$DATA" --exec-root "$RUN" \
    --storage-driver vfs 2>&1) || status=$?
  [ "$status" -ne 0 ] || fail "switching drivers over an existing root was accepted"
  assert_contains "$out" "overlay"
}

test_import_with_changes() {
  start_berthd --storage-driver vfs
  mkdir -p "$TEST_ROOT/rootfs/bin"
  cp /bin/busybox "$TEST_ROOT/rootfs/bin/"
  echo imported >"$TEST_ROOT/rootfs/marker"
  local id
  id=$(tar -C "$TEST_ROOT/rootfs" -cz . | docker import \
    --change 'CMD ["/bin/busybox", "sh"]' --change 'ENV A=1 B=two' \
    --change 'WORKDIR /srv' --change 'EXPOSE 8080' --change 'LABEL k=v' \
    --change 'USER 1000' -m "from a test" - imp:1)
  assert_contains "$id" "sha256:"
  assert_eq "$(docker image inspect -f '{{json .Config.Cmd}}' imp:1)" '["/bin/busybox","sh"]'
  assert_eq "$(docker image inspect -f '{{json .Config.Env}}' imp:1)" '["A=1","B=two"]'
  assert_eq "$(docker image inspect -f '{{.Config.WorkingDir}} {{.Config.User}} {{.Config.Labels.k}}' imp:1)" "/srv 1000 v"
  assert_eq "$(docker image inspect -f '{{json .Config.ExposedPorts}}' imp:1)" '{"8080/tcp":{}}'
  assert_eq "$(docker image inspect -f '{{.Comment}}' imp:1)" "from a test"
  assert_contains "$(docker history imp:1)" "from a test"
  local out
  out=$(tar -C "$TEST_ROOT/rootfs" -c . | docker import --change 'RUN true' - bad:1 2>&1) &&
    fail "an invalid change was accepted"
  assert_contains "$out" "RUN is not a valid change command"
  assert_eq "$(docker images -q bad:1)" ""
}

hostile_archive_is_refused() {
  local flag=$1 expect=$2
  $MAKE_IMAGE "$TEST_ROOT/bad.tar" --tag bad:1 $flag >/dev/null
  local out
  out=$(docker load -i "$TEST_ROOT/bad.tar" 2>&1) && fail "$flag: the load succeeded"
  assert_contains "$out" "$expect"
  store_is_empty
  [ ! -e "$DATA/escape" ] && [ ! -e "$DATA/image/escape" ] || fail "$flag: wrote outside"
}

test_hostile_archives() {
  start_berthd --storage-driver overlay
  hostile_archive_is_refused --escape ".."
  hostile_archive_is_refused --wrong-diff-id "does not match"
  hostile_archive_is_refused --missing-layer "lacks file"
  hostile_archive_is_refused --truncate "could not be read"
  local out
  out=$(echo "not a tar" | docker load 2>&1) && fail "garbage was loaded"
  store_is_empty
  # The daemon is fine afterwards.
  $MAKE_IMAGE "$TEST_ROOT/ok.tar" >/dev/null
  docker load -i "$TEST_ROOT/ok.tar" >/dev/null
}

test_interrupted_load_leaves_nothing() {
  start_berthd --storage-driver overlay
  $MAKE_IMAGE "$TEST_ROOT/big.tar" --tag big:1 --padding $((192 << 20)) >/dev/null
  docker load -i "$TEST_ROOT/big.tar" >/dev/null 2>&1 &
  local load=$!
  track "$load"
  # Kill the daemon once the layer is being applied.
  wait_for "the layer being applied" 60 sh -c "ls '$DATA'/image/layers/incomplete/* >/dev/null 2>&1"
  local daemon
  daemon=$(service_pid berth-daemon)
  kill -9 "$daemon"
  wait "$load" && fail "the interrupted load reported success"
  wait_for "a new berth-daemon" 20 sh -c "pgrep -P $BERTHD_PID -f berth-daemon | grep -vx $daemon"
  wait_for "the image service" 20 sh -c "docker images >/dev/null 2>&1"
  store_is_empty
}

test_system_df_and_info() {
  start_berthd --storage-driver vfs
  $MAKE_IMAGE "$TEST_ROOT/img.tar" >/dev/null
  docker load -i "$TEST_ROOT/img.tar" >/dev/null
  assert_contains "$(docker system df)" "Images          1"
  local info
  info=$(docker info)
  assert_contains "$info" "Images: 1"
  assert_contains "$info" "Storage Driver: vfs"
  assert_contains "$info" "Backing Filesystem"
  assert_eq "$(docker images --filter dangling=false -q | wc -l)" 1
  assert_eq "$(docker images --filter reference='busy*' -q | wc -l)" 1
  assert_eq "$(docker images --filter reference='nope*' -q | wc -l)" 0
  local out
  out=$(docker images --filter bogus=1 2>&1) && fail "a bad filter was accepted"
  assert_contains "$out" "invalid filter 'bogus'"
}

run_test load_inspect_tag_rmi_vfs test_load_inspect_tag_rmi_vfs
run_test load_inspect_tag_rmi_overlay test_load_inspect_tag_rmi_overlay
run_test save_load_round_trip_and_restart test_save_load_round_trip_and_restart
run_test import_with_changes test_import_with_changes
run_test hostile_archives test_hostile_archives
run_test interrupted_load_leaves_nothing test_interrupted_load_leaves_nothing
run_test system_df_and_info test_system_df_and_info
finish
