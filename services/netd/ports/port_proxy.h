#ifndef BERTH_SERVICES_NETD_PORTS_PORT_PROXY_H_
#define BERTH_SERVICES_NETD_PORTS_PORT_PROXY_H_

#include "absl/status/status.h"
#include "services/netd/ports/port_mapping.h"

namespace berth::netd {

// Relays a published port from the host's own sockets to the container:
// what Docker's docker-proxy does. It is what makes 127.0.0.1:HOSTPORT
// work (the DNAT rules skip loopback), and its bind holds the port against
// other programs on the host.
class PortProxy {
 public:
  virtual ~PortProxy() = default;

  // Binds host_ip:host_port and relays to the container. A port some other
  // program holds is AlreadyExists with Docker's message ("Error starting
  // userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in
  // use").
  virtual absl::Status Start(const PortMapping& mapping) = 0;

  // Closes the port and every connection through it; unknown is fine.
  // When it returns the port is free.
  virtual void Stop(const PortMapping& mapping) = 0;
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_PORTS_PORT_PROXY_H_
