#!/bin/bash
# Volumes: berth-daemon's local volume driver behind `docker volume`, the
# Engine API's /volumes routes (shapes, status codes, versioned paths) and
# the volume jobs, with state that survives a restart.
source "$(dirname "$0")/lib.sh"
install_binaries

# api METHOD PATH [BODY]: the HTTP status, a space, then the body.
api() {
  local method=$1 path=$2 body=${3:-} code
  code=$(curl -s --unix-socket "$SOCK" -X "$method" \
    -H 'Content-Type: application/json' ${body:+-d "$body"} \
    -o "$TEST_ROOT/api.out" -w '%{http_code}' "http://localhost$path")
  echo "$code $(cat "$TEST_ROOT/api.out")"
}

test_create_ls_inspect_rm() {
  start_berthd --storage-driver vfs
  local out
  assert_eq "$(docker volume create data)" "data"
  assert_eq "$(docker volume create --label team=a --label solo data2)" "data2"
  # Creating an existing name gives it back, labels unchanged.
  assert_eq "$(docker volume create --label team=b data2)" "data2"
  assert_eq "$(docker volume inspect -f '{{.Labels.team}}' data2)" "a"
  assert_eq "$(docker volume ls -q | tr '\n' ' ')" "data data2 "
  assert_eq "$(docker volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}' data)" \
    "data local local $DATA/volumes/data/_data"
  [ -d "$DATA/volumes/data/_data" ] || fail "no _data directory"
  assert_eq "$(docker volume inspect -f '{{json .Labels}}' data2)" '{"solo":"","team":"a"}'
  out=$(docker volume inspect -f '{{.CreatedAt}}' data)
  [[ "$out" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
    fail "CreatedAt is not RFC 3339: $out"

  # Without a name: an anonymous volume with a random 64-hex name.
  local anon
  anon=$(docker volume create)
  [[ "$anon" =~ ^[0-9a-f]{64}$ ]] || fail "anonymous name: $anon"
  assert_eq "$(docker volume inspect -f '{{json .Labels}}' "$anon")" \
    '{"com.docker.volume.anonymous":""}'

  # Filters.
  assert_eq "$(docker volume ls -q --filter label=team=a)" "data2"
  assert_eq "$(docker volume ls -q --filter label=solo --filter label=team)" "data2"
  assert_eq "$(docker volume ls -q --filter name=data2)" "data2"
  assert_eq "$(docker volume ls -q --filter name=dat | wc -l)" 2
  assert_eq "$(docker volume ls -q --filter dangling=true | wc -l)" 3
  assert_eq "$(docker volume ls -q --filter driver=local | wc -l)" 3
  out=$(docker volume ls --filter bogus=1 2>&1) && fail "a bad filter was accepted"
  assert_contains "$out" "invalid filter 'bogus'"
  out=$(docker volume ls --filter dangling=maybe 2>&1) && fail "a bad dangling value was accepted"
  assert_contains "$out" "invalid filter 'dangling=maybe'"

  # Removal, and Docker's errors with the CLI's exit code 1.
  assert_eq "$(docker volume rm data "$anon" | tr '\n' ' ')" "data $anon "
  [ ! -e "$DATA/volumes/data" ] || fail "the volume's directory is left"
  local status=0
  out=$(docker volume rm data 2>&1) || status=$?
  assert_eq "$status" 1
  assert_contains "$out" "get data: no such volume"
  docker volume rm -f data >/dev/null || fail "rm -f of a missing volume failed"
  out=$(docker volume inspect data 2>&1) && fail "inspecting a missing volume succeeded"
  assert_contains "$out" "no such volume"
  assert_eq "$(docker volume ls -q)" "data2"
  # Nothing half-made or half-removed is left.
  assert_eq "$(ls -A "$DATA/volumes" | tr '\n' ' ')" "data2 "
}

test_refusals_and_status_codes() {
  start_berthd --storage-driver vfs
  local out status
  out=$(docker volume create 'a/b' 2>&1) && fail "a name with a slash was accepted"
  assert_contains "$out" 'includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed'
  out=$(docker volume create x 2>&1) && fail "a one-letter name was accepted"
  out=$(docker volume create -d nope vol 2>&1) && fail "an unknown driver was accepted"
  assert_contains "$out" 'plugin "nope" not found'
  out=$(docker volume create -o foo=bar vol 2>&1) && fail "an unknown option was accepted"
  assert_contains "$out" 'invalid option: "foo"'
  out=$(docker volume create -o type=tmpfs vol 2>&1) && fail "type without device was accepted"
  assert_contains "$out" 'missing required option: "device"'
  assert_eq "$(docker volume ls -q)" ""

  # Status codes, as dockerd answers them.
  assert_contains "$(api POST /volumes/create '{"Name":"a/b"}')" "400 "
  assert_contains "$(api POST /volumes/create '{"Name":"ok1","Driver":"nope"}')" "404 "
  assert_contains "$(api POST /volumes/create '{"Name":' )" "400 "
  assert_contains "$(api POST /volumes/create '{"Labels":[1]}')" "400 "
  assert_eq "$(api GET /volumes/missing)" '404 {"message":"get missing: no such volume"}'
  assert_eq "$(api DELETE /volumes/missing)" '404 {"message":"get missing: no such volume"}'
  assert_eq "$(api DELETE '/volumes/missing?force=1')" "204 "
  assert_contains "$(api GET '/volumes?filters=%7B%22x%22%3A%5B%221%22%5D%7D')" \
    "400 {\"message\":\"invalid filter 'x'\"}"
  # Same name, other driver options: a conflict.
  docker volume create -o type=tmpfs -o device=tmpfs -o o=size=1m scratch >/dev/null
  assert_eq "$(docker volume inspect -f '{{json .Options}}' scratch)" \
    '{"device":"tmpfs","o":"size=1m","type":"tmpfs"}'
  docker volume create -o type=tmpfs -o device=tmpfs -o o=size=1m scratch >/dev/null ||
    fail "re-creating with the same options failed"
  out=$(api POST /volumes/create '{"Name":"scratch","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=2m"}}')
  assert_contains "$out" "409 "
  assert_contains "$out" "volume name must be unique"
  status=0
  out=$(docker volume create -o type=tmpfs -o device=tmpfs -o o=size=2m scratch 2>&1) || status=$?
  assert_eq "$status" 1
}

test_api_shapes_and_versions() {
  start_berthd --storage-driver vfs
  local out v
  v=v$(docker version -f '{{.Server.APIVersion}}')
  out=$(api POST /$v/volumes/create '{"Name":"shape","Labels":{"k":"v"},"DriverOpts":{}}')
  assert_contains "$out" '201 {"CreatedAt":"'
  assert_contains "$out" '"Driver":"local","Labels":{"k":"v"},"Mountpoint":"'"$DATA"'/volumes/shape/_data","Name":"shape","Options":{},"Scope":"local"}'
  # An empty body makes an anonymous volume.
  out=$(api POST /volumes/create)
  assert_contains "$out" '201 '
  assert_contains "$out" '"com.docker.volume.anonymous":""'
  out=$(api GET /volumes)
  assert_contains "$out" '200 {"Volumes":[{'
  assert_contains "$out" '"Warnings":[]}'
  assert_eq "$(api GET /$v/volumes)" "$out"
  assert_eq "$(api GET /v1.24/volumes)" "$out"
  assert_eq "$(api GET /$v/volumes/shape | cut -c1-4)" "200 "
  assert_eq "$(api DELETE /$v/volumes/shape)" "204 "
  # Prune: API 1.42 on takes only anonymous volumes, older ones all.
  docker volume create named >/dev/null
  out=$(api POST /$v/volumes/prune)
  assert_contains "$out" '200 {"SpaceReclaimed":0,"VolumesDeleted":["'
  assert_eq "$(docker volume ls -q)" "named"
  assert_eq "$(api POST /v1.41/volumes/prune)" '200 {"SpaceReclaimed":0,"VolumesDeleted":["named"]}'
  assert_eq "$(docker volume ls -q)" ""
}

test_prune() {
  start_berthd --storage-driver vfs
  local anon1 anon2 out
  anon1=$(docker volume create)
  anon2=$(docker volume create --label keep=yes)
  docker volume create named >/dev/null
  docker volume create --label keep=yes kept >/dev/null
  head -c 3000 /dev/zero >"$DATA/volumes/$anon1/_data/f"
  out=$(docker volume prune -f)
  assert_contains "$out" "Deleted Volumes:"
  assert_contains "$out" "$anon1"
  assert_contains "$out" "$anon2"
  assert_contains "$out" "Total reclaimed space: 3kB"
  assert_eq "$(docker volume ls -q | tr '\n' ' ')" "kept named "
  # --all takes named ones too; label filters narrow it.
  out=$(docker volume prune -af --filter 'label!=keep')
  assert_contains "$out" "named"
  assert_not_contains "$out" "kept"
  assert_eq "$(docker volume ls -q)" "kept"
  out=$(docker volume prune -af --filter label=keep=no)
  assert_eq "$(docker volume ls -q)" "kept"
  docker volume prune -af --filter label=keep=yes >/dev/null
  assert_eq "$(docker volume ls -q)" ""
  out=$(docker volume prune -f --filter until=1h 2>&1) && fail "an unknown prune filter was accepted"
  assert_contains "$out" "invalid filter 'until'"
}

test_survives_restart() {
  start_berthd --storage-driver vfs
  docker volume create --label a=1 one >/dev/null
  docker volume create -o type=tmpfs -o device=tmpfs -o o=size=1m two >/dev/null
  local anon before
  anon=$(docker volume create)
  echo kept >"$DATA/volumes/one/_data/file"
  before=$(docker volume inspect one two "$anon")
  kill -TERM "$BERTHD_PID"
  wait "$BERTHD_PID"
  start_berthd --storage-driver vfs
  assert_eq "$(docker volume inspect one two "$anon")" "$before"
  assert_eq "$(cat "$DATA/volumes/one/_data/file")" "kept"
  # An anonymous volume stays anonymous across the restart.
  assert_eq "$(docker volume prune -f | grep -c "$anon")" 1
}

test_jobs() {
  start_berthd --storage-driver vfs
  local out
  out=$(berth job volume_create viajob -e 'Labels={"via":"job"}')
  assert_contains "$out" '"Name":"viajob"'
  assert_contains "$out" '"Labels":{"via":"job"}'
  assert_eq "$(docker volume inspect -f '{{.Labels.via}}' viajob)" "job"
  out=$(berth job volumes -e 'filters={"label":["via=job"]}')
  assert_contains "$out" '{"Volumes":[{'
  assert_contains "$out" '"Name":"viajob"'
  out=$(berth job volume_inspect viajob)
  assert_contains "$out" '"Mountpoint":"'"$DATA"'/volumes/viajob/_data"'
  out=$(berth job volume_rm nope 2>&1) && fail "volume_rm of a missing volume succeeded"
  assert_contains "$out" "no such volume"
  berth job volume_rm viajob >/dev/null
  berth job volume_create >/dev/null
  out=$(berth job volume_prune)
  assert_contains "$out" '"VolumesDeleted":["'
  assert_eq "$(docker volume ls -q)" ""
  assert_contains "$(berth commands)" "volume_prune"
}

run_test create_ls_inspect_rm test_create_ls_inspect_rm
run_test refusals_and_status_codes test_refusals_and_status_codes
run_test api_shapes_and_versions test_api_shapes_and_versions
run_test prune test_prune
run_test survives_restart test_survives_restart
run_test jobs test_jobs
finish
