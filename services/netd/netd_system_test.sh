#!/bin/bash
# berth-netd under berthd: the network jobs through the engine, the bridge
# and rules berthd's namespace gets, a published port reached on loopback
# through the userland proxy, and berth-netd killed and restarted with its
# rules unchanged. The "containers" are network namespaces this test makes
# itself (berth-daemon does not call berth-netd yet); every namespace and
# process is removed even on failure.
source "$(dirname "$0")/../../tests/system/lib.sh"
install_binaries

CNS="berth-test-$$-c"
remove_container_netns() {
  for n in 1 2; do ip netns del "$CNS$n" 2>/dev/null; done
  return 0
}
trap 'remove_container_netns; cleanup' EXIT

container_netns() {
  ip netns add "$CNS$1"
  ip -n "$CNS$1" link set lo up
}

# The rules of berthd's namespace, without dates and counters.
rules() {
  in_netns iptables-save | grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]//'
}

get_hello() { in_netns curl -sf --max-time 2 http://127.0.0.1:8080/hello.txt; }
port_answers() { get_hello >/dev/null; }

netd_pid() { pgrep -P "$BERTHD_PID" -x berth-netd; }

# berth-netd is back with a new pid and serves its jobs again.
netd_back() {
  local pid
  pid=$(netd_pid) && [ "$pid" != "$1" ] &&
    berth job init_networkdriver >/dev/null 2>&1
}

test_jobs_ports_restart_release() {
  start_berthd
  local out job
  out=$(berth commands)
  for job in init_networkdriver allocate_interface release_interface \
    allocate_port link; do
    assert_contains "$out" "$job"
  done
  out=$(berth job init_networkdriver)
  assert_contains "$out" '"Bridge":"berth0"'
  assert_contains "$out" '"BridgeIP":"172.17.0.1/16"'
  assert_contains "$(in_netns ip -o addr show dev berth0)" "inet 172.17.0.1/16"
  assert_contains "$(rules)" "-A FORWARD -j BERTH-FORWARD"
  assert_eq "$(in_netns cat /proc/sys/net/ipv4/ip_forward)" 1

  container_netns 1
  out=$(berth job allocate_interface c1 -e "NetnsPath=/run/netns/${CNS}1")
  assert_contains "$out" '"IP":"172.17.0.2"'
  assert_contains "$out" '"MacAddress":"02:42:ac:11:00:02"'
  assert_contains "$(ip -n "${CNS}1" -o addr show dev eth0)" "inet 172.17.0.2/16"
  assert_contains "$(ip -n "${CNS}1" route)" "default via 172.17.0.1 dev eth0"

  # A web server in the "container", reached through the published port.
  mkdir -p "$TEST_ROOT/www"
  echo hello >"$TEST_ROOT/www/hello.txt"
  nsenter --net="/run/netns/${CNS}1" python3 -m http.server 80 \
    --bind 172.17.0.2 --directory "$TEST_ROOT/www" >/dev/null 2>&1 &
  track $!
  out=$(berth job allocate_port c1 8080:80)
  assert_contains "$out" '"HostPort":8080'
  wait_for "the container's server through 127.0.0.1:8080" 10 port_answers
  assert_eq "$(get_hello)" hello
  assert_contains "$(rules)" \
    "-A BERTH ! -i berth0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80"

  container_netns 2
  berth job allocate_interface c2 -e "NetnsPath=/run/netns/${CNS}2" >/dev/null
  if out=$(berth job allocate_port c2 8080:80 2>&1); then
    fail "a taken port was given out: $out"
  fi
  assert_contains "$out" "Bind for 0.0.0.0:8080 failed: port is already allocated"
  out=$(berth job allocate_port c2 80)
  assert_contains "$out" '"HostIP":"0.0.0.0"'

  # Killed, berth-netd is restarted by berthd: the same rules, the same
  # addresses, the port served again.
  local before pid
  before=$(rules)
  pid=$(netd_pid)
  kill -9 "$pid"
  wait_for "berth-netd restarted" 20 netd_back "$pid"
  assert_eq "$(rules)" "$before"
  wait_for "the port after the restart" 10 port_answers
  out=$(berth job allocate_interface c1 -e "NetnsPath=/run/netns/${CNS}1")
  assert_contains "$out" '"IP":"172.17.0.2"'

  # Released: no veth, no rules, no port, the address free.
  berth job release_interface c1
  assert_not_contains "$(rules)" "172.17.0.2"
  if ip -n "${CNS}1" link show eth0 >/dev/null 2>&1; then
    fail "eth0 is still in the container's namespace"
  fi
  if port_answers; then fail "8080 still answers"; fi
  berth job release_interface c2
  assert_not_contains "$(rules)" "172.17.0.3"
  assert_eq "$(ls -A "$DATA/network/ipam" "$DATA/network/endpoints")" \
    "$(printf '%s:\n\n%s:' "$DATA/network/endpoints" "$DATA/network/ipam")"
}

test_bridge_flags() {
  start_berthd --bip 10.99.0.1/24 --fixed-cidr 10.99.0.128/25 --mtu 1400 \
    --iptables=false --ip-forward=false
  local out
  out=$(berth job init_networkdriver)
  assert_contains "$out" '"BridgeIP":"10.99.0.1/24"'
  assert_contains "$out" '"FixedCIDR":"10.99.0.128/25"'
  assert_contains "$out" '"Mtu":1400'
  assert_contains "$(in_netns ip -o link show berth0)" "mtu 1400"
  assert_not_contains "$(rules)" "BERTH"
  container_netns 1
  out=$(berth job allocate_interface c1 -e "NetnsPath=/run/netns/${CNS}1")
  assert_contains "$out" '"IP":"10.99.0.129"'
  berth job release_interface c1
  kill -TERM "$BERTHD_PID"
  wait "$BERTHD_PID"

  INSTANCE=1 start_berthd --bridge none
  assert_contains "$(berth job init_networkdriver)" '"Disabled":true'
  if out=$(berth job allocate_interface c1 -e "NetnsPath=/run/netns/${CNS}1" 2>&1); then
    fail "an interface with --bridge=none: $out"
  fi
  assert_contains "$out" "--bridge=none"
}

run_test jobs_ports_restart_release test_jobs_ports_restart_release
remove_container_netns
run_test bridge_flags test_bridge_flags
finish
