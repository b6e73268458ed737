#!/bin/bash
# Networking: containers on berth-netd's bridge through the real docker
# CLI, against berthd in a fresh netns (all traffic stays in it): talking
# by address, published ports, --icc=false and --link, network modes, the
# DNS and hosts files, restarts keeping the rule set, and nothing left
# once the containers are gone.
source "$(dirname "$0")/lib.sh"
install_binaries
MAKE_IMAGE="python3 $(dirname "$0")/make_image.py"

start_with_busybox() {
  start_berthd "$@"
  $MAKE_IMAGE "$TEST_ROOT/busybox.tar" --tag busybox:latest >/dev/null
  docker load -i "$TEST_ROOT/busybox.tar" >/dev/null
}

# A web server answering "hello from NAME" on port 80.
serve() {
  local name=$1
  shift
  docker run -d --name "$name" "$@" busybox sh -c \
    "mkdir /www && echo hello from $name >/www/index.html && exec httpd -f -p 80 -h /www"
}

ip_of() { docker inspect -f '{{.NetworkSettings.IPAddress}}' "$1"; }

# Fetches http://ADDR/ from inside a new container; extra args go to run.
fetch_from_container() {
  local addr=$1
  shift
  docker run --rm "$@" busybox sh -c "timeout -s KILL 3 wget -q -O- http://$addr/; exit \$?" 2>/dev/null
}

# berth's iptables state in the test's netns, without counters.
rules() { in_netns iptables-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'; }

# What berth holds for containers: veths, IPAM and endpoint records.
leftovers() {
  in_netns ip -o link show type veth | awk -F': ' '{print $2}'
  ls "$DATA/network/ipam" "$DATA/network/endpoints" 2>/dev/null | grep -v '^$\|:$' || true
}

test_bridge_addresses_and_modes() {
  start_with_busybox
  serve web >/dev/null
  local web_ip gateway
  web_ip=$(ip_of web)
  gateway=$(docker inspect -f '{{.NetworkSettings.Gateway}}' web)
  [[ $web_ip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no address: '$web_ip'"
  # Container to container by address, over the bridge.
  wait_for "web serves" 10 sh -c "docker run --rm busybox sh -c 'timeout -s KILL 1 wget -q -O- http://$web_ip/; exit \$?' >/dev/null 2>&1"
  assert_eq "$(fetch_from_container "$web_ip")" "hello from web"
  # eth0 as inspect says, with the bridge as the default route.
  local inside
  inside=$(docker exec web sh -c 'ip -4 -o addr show eth0; ip route show default')
  assert_contains "$inside" "inet $web_ip/"
  assert_contains "$inside" "default via $gateway dev eth0"
  assert_eq "$(docker inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' web)" "$web_ip"
  assert_contains "$(docker exec web cat /etc/hosts)" "$web_ip	$(docker inspect -f '{{.Config.Hostname}}' web)"
  # The host end reaches it too, through the bridge.
  assert_eq "$(in_netns curl -s -m 3 "http://$web_ip/")" "hello from web"
  # none: loopback only; host: the berthd netns's own interfaces.
  assert_eq "$(docker run --rm --network none busybox ls /sys/class/net)" "lo"
  assert_contains "$(docker run --rm --network host busybox ls /sys/class/net)" "berth0"
  # container:web: the same namespace, so its address and its server.
  assert_eq "$(docker run --rm --network container:web busybox sh -c 'ip -4 -o addr show eth0' | awk '{print $4}')" \
    "$web_ip/16"
  assert_eq "$(docker run --rm --network container:web busybox sh -c 'wget -q -O- http://127.0.0.1/')" "hello from web"
  local out
  # Docker's 404 (which the CLI takes for a missing image, so ask the API).
  out=$(curl -s -w ' %{http_code}' --unix-socket "$SOCK" -H 'Content-Type: application/json' \
    -d '{"Image":"busybox","HostConfig":{"NetworkMode":"nosuchnet"}}' http://d/containers/create)
  assert_eq "$out" $'{"message":"network nosuchnet not found"}\n 404'
  assert_eq "$(docker ps -aq | wc -l)" 1
  out=$(docker run --rm --network container:nosuch busybox true 2>&1) && fail "container:nosuch was accepted"
  assert_contains "$out" "No such container: nosuch"
  docker rm -f web >/dev/null
}

test_dns_and_hosts_files() {
  start_with_busybox --dns-search berthd.test
  local resolv hosts
  resolv=$(docker run --rm --dns 10.9.9.9 --dns-option ndots:3 busybox cat /etc/resolv.conf)
  assert_contains "$resolv" "nameserver 10.9.9.9"
  assert_contains "$resolv" "options ndots:3"
  # berthd's --dns-search when the container sets none; its own otherwise.
  assert_contains "$resolv" "search berthd.test"
  resolv=$(docker run --rm --dns-search a.test busybox cat /etc/resolv.conf)
  assert_contains "$resolv" "search a.test"
  assert_not_contains "$resolv" "berthd.test"
  # Never a loopback resolver the container cannot reach.
  assert_not_contains "$(docker run --rm busybox grep nameserver /etc/resolv.conf)" "nameserver 127."
  hosts=$(docker run --rm --hostname box --add-host db.local:10.1.2.3 busybox cat /etc/hosts)
  assert_contains "$hosts" "127.0.0.1	localhost"
  assert_contains "$hosts" "10.1.2.3	db.local"
  [[ $hosts =~ [0-9.]+$'\t'box ]] || fail "no entry for the container itself: $hosts"
  assert_eq "$(docker run --rm --hostname box busybox cat /etc/hostname)" "box"
}

test_published_ports() {
  start_with_busybox
  serve web -p 8080:80 -p 127.0.0.1:8081:80 -p 80 --expose 7000 >/dev/null
  local bridge_ip
  bridge_ip=$(docker inspect -f '{{.NetworkSettings.Gateway}}' web)
  wait_for "the published port" 10 in_netns curl -sf -m 1 -o /dev/null http://127.0.0.1:8080/
  # Through the host's loopback, the bridge address, and the loopback-only
  # binding.
  assert_eq "$(in_netns curl -s -m 3 http://127.0.0.1:8080/)" "hello from web"
  assert_eq "$(in_netns curl -s -m 3 "http://$bridge_ip:8080/")" "hello from web"
  assert_eq "$(in_netns curl -s -m 3 http://127.0.0.1:8081/)" "hello from web"
  in_netns curl -s -m 2 "http://$bridge_ip:8081/" && fail "a 127.0.0.1 binding answered on the bridge address"
  # From another container, through the host's address (the DNAT rule).
  assert_eq "$(fetch_from_container "$bridge_ip:8080")" "hello from web"
  # From another host: a namespace of the test's own, wired to berthd's by a
  # veth pair, reaches the published port on berthd's address there.
  ip netns add "$NETNS-remote"
  ip -n "$NETNS" link add veth-lan type veth peer name eth0 netns "$NETNS-remote"
  ip -n "$NETNS" addr add 10.250.0.1/24 dev veth-lan
  ip -n "$NETNS" link set veth-lan up
  ip -n "$NETNS-remote" addr add 10.250.0.2/24 dev eth0
  ip -n "$NETNS-remote" link set eth0 up
  ip -n "$NETNS-remote" link set lo up
  assert_eq "$(nsenter --net="/run/netns/$NETNS-remote" curl -s -m 3 http://10.250.0.1:8080/)" "hello from web"
  nsenter --net="/run/netns/$NETNS-remote" curl -s -m 2 http://10.250.0.1:8081/ &&
    fail "a 127.0.0.1 binding answered another host"
  # An ephemeral port for -p 80, as docker port reports it.
  local ports ephemeral
  ports=$(docker port web)
  assert_contains "$ports" "80/tcp -> 0.0.0.0:8080"
  assert_contains "$ports" "80/tcp -> 127.0.0.1:8081"
  ephemeral=$(docker port web 80/tcp | grep -v ':808[01]$' | head -1 | sed 's/.*://')
  [ "$ephemeral" -ge 1024 ] || fail "no ephemeral port: $ports"
  assert_eq "$(in_netns curl -s -m 3 "http://127.0.0.1:$ephemeral/")" "hello from web"
  assert_contains "$(docker ps --format '{{.Ports}}')" "0.0.0.0:8080->80/tcp"
  assert_contains "$(docker ps --format '{{.Ports}}')" "7000/tcp"
  # -P: every exposed port gets one.
  serve pall -P --expose 80 >/dev/null
  local published
  published=$(docker port pall 80/tcp | sed 's/.*://')
  wait_for "-P's port" 10 in_netns curl -sf -m 1 -o /dev/null "http://127.0.0.1:$published/"
  assert_eq "$(in_netns curl -s -m 3 "http://127.0.0.1:$published/")" "hello from pall"
  # A taken port: Docker's error, exit 125, and nothing left of the try.
  local before out status
  before=$(rules)
  out=$(docker run -d --name clash -p 9090:80 -p 8080:80 busybox sleep 60 2>&1) && status=0 || status=$?
  assert_eq "$status" 125
  assert_contains "$out" "Bind for 0.0.0.0:8080 failed: port is already allocated"
  assert_eq "$(docker inspect -f '{{.State.Running}}' clash)" "false"
  assert_eq "$(rules)" "$before"
  in_netns curl -s -m 1 http://127.0.0.1:9090/ && fail "the failed container's other port is still bound"
  docker rm clash >/dev/null
  # Stopping frees the ports: another container takes 8080.
  docker stop -t 0 web >/dev/null
  in_netns curl -s -m 1 http://127.0.0.1:8080/ && fail "8080 still answers after the stop"
  serve web2 -p 8080:80 >/dev/null
  wait_for "8080 again" 10 in_netns curl -sf -m 1 -o /dev/null http://127.0.0.1:8080/
  assert_eq "$(in_netns curl -s -m 3 http://127.0.0.1:8080/)" "hello from web2"
  docker rm -f web web2 pall >/dev/null
}

test_icc_false_and_links() {
  start_with_busybox --icc=false
  serve db --expose 80 >/dev/null
  local db_ip
  db_ip=$(ip_of db)
  wait_for "db serves" 10 in_netns curl -sf -m 1 -o /dev/null "http://$db_ip/"
  # Without a link the bridge drops container-to-container traffic...
  [ -z "$(fetch_from_container "$db_ip")" ] || fail "--icc=false let a container through"
  # ...a link lets the linked container in on its exposed ports.
  assert_eq "$(fetch_from_container "$db_ip" --link db:store)" "hello from db"
  assert_eq "$(fetch_from_container store --link db:store)" "hello from db"
  local env
  env=$(docker run --rm --link db:store busybox env)
  assert_contains "$env" "STORE_PORT_80_TCP_ADDR=$db_ip"
  assert_contains "$env" "STORE_PORT=tcp://$db_ip:80"
  assert_contains "$env" "STORE_NAME=/"
  assert_contains "$(docker run --rm --link db:store busybox cat /etc/hosts)" "$db_ip	store"
  local out
  out=$(docker run --rm --link nosuch:x busybox true 2>&1) && fail "a link to a missing container was accepted"
  assert_contains "$out" "could not get container for nosuch"
  docker stop -t 0 db >/dev/null
  out=$(docker run --rm --link db:store busybox true 2>&1) && fail "a link to a stopped container was accepted"
  assert_contains "$out" "Cannot link to a non running container: /db AS"
  docker rm db >/dev/null
}

test_restart_keeps_rules_and_removal_leaves_nothing() {
  start_with_busybox
  local baseline
  baseline=$(rules)
  serve db --expose 80 >/dev/null
  serve web -p 8080:80 --link db:db >/dev/null
  wait_for "web's port" 10 in_netns curl -sf -m 1 -o /dev/null http://127.0.0.1:8080/
  local with_containers web_ip
  with_containers=$(rules)
  web_ip=$(ip_of web)
  # berthd restarts; the containers run on under their shims, and berth-netd
  # rebuilds exactly the same rule set.
  kill "$BERTHD_PID"
  wait_for "berthd to stop" 20 sh -c "! kill -0 $BERTHD_PID 2>/dev/null"
  start_berthd
  assert_eq "$(rules)" "$with_containers"
  assert_eq "$(docker inspect -f '{{.State.Running}} {{.NetworkSettings.IPAddress}}' web)" "true $web_ip"
  assert_eq "$(in_netns curl -s -m 3 http://127.0.0.1:8080/)" "hello from web"
  # Gone: every veth, rule and allocation goes with them.
  docker rm -f web db >/dev/null
  wait_for "the veths to go" 10 sh -c "[ -z \"\$(nsenter --net=/run/netns/$NETNS ip -o link show type veth)\" ]"
  assert_eq "$(leftovers)" ""
  assert_eq "$(rules)" "$baseline"
}

test_user_networks() {
  start_with_busybox
  docker network create app >/dev/null
  docker network create --subnet 10.123.0.0/24 --gateway 10.123.0.254 --internal \
    --label tier=back back >/dev/null
  assert_eq "$(docker network ls --format '{{.Name}}' | sort | tr '\n' ' ')" "app back bridge host none "
  assert_eq "$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}} {{.Labels.tier}}' back)" \
    "10.123.0.0/24 10.123.0.254 true back"
  assert_eq "$(docker network ls -q --filter label=tier=back | wc -l)" 1
  local out app_id
  app_id=$(docker network inspect -f '{{.Id}}' app)
  out=$(docker network create app 2>&1) && fail "a duplicate network name was accepted"
  assert_contains "$out" "network with name app already exists"
  out=$(docker network create --subnet 10.123.0.128/25 other 2>&1) && fail "an overlapping subnet was accepted"
  assert_contains "$out" "overlaps"
  out=$(docker network rm bridge 2>&1) && fail "the default bridge was removed"
  assert_contains "$out" "pre-defined network"
  # Name resolution on the user network, by name and alias.
  serve db --network app --network-alias database >/dev/null
  wait_for "db on app" 10 sh -c "docker run --rm --network app busybox sh -c 'timeout -s KILL 1 wget -q -O- http://db/; exit \$?' >/dev/null 2>&1"
  assert_eq "$(fetch_from_container database --network app)" "hello from db"
  # connect: a container on the default bridge joins app as eth1, and both
  # sides resolve each other.
  docker run -d --name web busybox sleep 300 >/dev/null
  [ -z "$(fetch_from_container "$(docker inspect -f '{{.NetworkSettings.Networks.app.IPAddress}}' db)")" ] ||
    fail "a container on the default bridge reached a user network"
  docker network connect --alias front app web
  assert_eq "$(docker exec web sh -c 'timeout -s KILL 3 wget -q -O- http://db/; exit $?')" "hello from db"
  assert_contains "$(docker exec web sh -c 'ip -o addr show eth1')" "inet 172."
  assert_contains "$(docker exec db cat /etc/hosts)" "front"
  assert_eq "$(docker network inspect -f '{{len .Containers}}' app)" 2
  out=$(docker network rm app 2>&1) && fail "a network in use was removed"
  assert_contains "$out" "has active endpoints"
  # --internal: no way out, not even a default route.
  docker run -d --name inner --network back busybox sleep 300 >/dev/null
  assert_not_contains "$(docker exec inner sh -c 'ip route')" "default"
  assert_eq "$(docker exec inner sh -c 'ip -o -4 addr show eth0' | awk '{print $4}')" "10.123.0.1/24"
  # disconnect: the interface and the names go.
  docker network disconnect app web
  assert_not_contains "$(docker exec web sh -c 'ip -o link')" "eth1"
  assert_not_contains "$(docker exec web cat /etc/hosts)" "db"
  assert_not_contains "$(docker exec db cat /etc/hosts)" "front"
  # Networks outlive a berthd restart, with the same IDs.
  docker rm -f web inner db >/dev/null
  kill "$BERTHD_PID"
  wait_for "berthd to stop" 20 sh -c "! kill -0 $BERTHD_PID 2>/dev/null"
  start_berthd
  assert_eq "$(docker network inspect -f '{{.Id}}' app)" "$app_id"
  assert_eq "$(docker run --rm --network app busybox sh -c 'ip -o -4 addr show eth0' | awk '{print $4}' | cut -d. -f1-2)" "172.18"
  # rm and prune leave no bridge, chain or state behind.
  docker network rm app >/dev/null
  assert_eq "$(docker network prune -f | tr '\n' ' ')" "Deleted Networks: back  "
  assert_eq "$(docker network ls --format '{{.Name}}' | sort | tr '\n' ' ')" "bridge host none "
  assert_eq "$(in_netns ip -o link show type bridge | grep -c br-)" 0
  assert_eq "$(in_netns iptables-save | grep -c 'BERTH-[0-9a-f]\{8\}')" 0
  assert_eq "$(ls "$DATA/network/networks")" ""
}

run_test bridge_addresses_and_modes test_bridge_addresses_and_modes
run_test dns_and_hosts_files test_dns_and_hosts_files
run_test published_ports test_published_ports
run_test icc_false_and_links test_icc_false_and_links
run_test restart_keeps_rules_and_removal_leaves_nothing test_restart_keeps_rules_and_removal_leaves_nothing
run_test user_networks test_user_networks
finish
