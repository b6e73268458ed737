#ifndef BERTH_SERVICES_NETD_PORTS_PORT_MAPPING_H_
#define BERTH_SERVICES_NETD_PORTS_PORT_MAPPING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/netd/ipam/ipv4.h"

namespace berth::netd {

enum class Protocol { kTcp, kUdp };

// "tcp" or "udp", any case; "" is tcp. InvalidArgument otherwise.
absl::StatusOr<Protocol> ParseProtocol(absl::string_view text);
absl::string_view ProtocolName(Protocol protocol);

// A published port: host_ip:host_port (host_ip 0.0.0.0 for every address)
// reaches container_ip:container_port.
struct PortMapping {
  Protocol protocol = Protocol::kTcp;
  Ipv4 host_ip;
  int host_port = 0;
  Ipv4 container_ip;
  int container_port = 0;

  // "0.0.0.0:8080->172.17.0.2:80/tcp", for messages.
  std::string ToString() const;

  friend bool operator==(const PortMapping& a, const PortMapping& b) {
    return a.protocol == b.protocol && a.host_ip == b.host_ip &&
           a.host_port == b.host_port && a.container_ip == b.container_ip &&
           a.container_port == b.container_port;
  }
};

// Docker's -p: [ip:][host_port]:container_port[/proto] or
// container_port[/proto]. A missing host port is 0 (ephemeral), a missing
// ip 0.0.0.0. Ranges are not supported here.
struct PortSpec {
  Protocol protocol = Protocol::kTcp;
  Ipv4 host_ip;
  bool host_ip_given = false;
  int host_port = 0;
  int container_port = 0;
};
absl::StatusOr<PortSpec> ParsePortSpec(absl::string_view text);

// 1..65535, or also 0 when `allow_zero`; InvalidArgument naming `what`.
absl::Status CheckPort(int port, absl::string_view what, bool allow_zero);

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_PORTS_PORT_MAPPING_H_
