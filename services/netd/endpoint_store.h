#ifndef BERTH_SERVICES_NETD_ENDPOINT_STORE_H_
#define BERTH_SERVICES_NETD_ENDPOINT_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/netd/firewall/firewall.h"
#include "services/netd/ipam/ipv4.h"
#include "services/netd/ports/port_mapping.h"

namespace berth::netd {

// A container's place on the bridge: what berth-netd must know to undo
// it, even after a restart.
struct Endpoint {
  std::string container_id;
  // "/web", for network inspect.
  std::string container_name;
  // Inside the container: eth0, eth1, ...
  std::string interface_name;
  std::string netns_path;
  std::string host_veth;
  Ipv4 ip;
  std::string mac;
  // Rules carry the sequence number they were added with: the firewall is
  // rebuilt in that order, which is the order they were first added in.
  struct Port {
    int64_t seq = 0;
    PortMapping mapping;
  };
  std::vector<Port> ports;
  // Links whose parent is this container.
  struct Link {
    int64_t seq = 0;
    LinkRule rule;
  };
  std::vector<Link> links;
};

// One JSON file per container under `dir`, written atomically.
class EndpointStore {
 public:
  explicit EndpointStore(std::string dir) : dir_(std::move(dir)) {}

  // Every endpoint; unreadable files are logged and skipped.
  absl::StatusOr<std::vector<Endpoint>> LoadAll() const;
  absl::Status Save(const Endpoint& endpoint) const;
  // Missing is fine.
  absl::Status Remove(const std::string& container_id) const;

 private:
  std::string Path(const std::string& container_id) const;

  const std::string dir_;
};

// Container IDs name files: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}.
absl::Status CheckContainerId(const std::string& container_id);

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_ENDPOINT_STORE_H_
