#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_NETWORK_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_NETWORK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "proto/container.pb.h"
#include "proto/network.grpc.pb.h"

namespace berth {

// The network a container joins when it names none (Docker's default).
inline constexpr char kBridgeNetwork[] = "bridge";

// One `-p`/`-P` publication, before the host port is chosen.
struct PortRequest {
  // "80/tcp", the key of NetworkSettings.Ports.
  std::string key;
  int container_port = 0;
  std::string protocol;
  // "" for the daemon's --ip.
  std::string host_ip;
  // 0 and 0 for an ephemeral port; a range is tried in order.
  int host_port_first = 0;
  int host_port_last = 0;
};

// "80/tcp", "53/udp"; a bare "80" is tcp. InvalidArgument otherwise.
absl::StatusOr<std::pair<int, std::string>> ParsePortKey(absl::string_view key);

// What the container asks to publish: HostConfig.PortBindings, plus with
// -P an ephemeral port for every exposed port that has no binding.
// Ordered by container port. InvalidArgument for a malformed binding.
absl::StatusOr<std::vector<PortRequest>> PortsToPublish(
    const v1::ContainerDetail& container);

// --link as the docker CLI sends it ("name:alias" or "name") in the form
// Docker records: "/name:/parent/alias".
absl::StatusOr<std::string> NormalizeLink(absl::string_view link,
                                          absl::string_view parent_name);

struct LinkSpec {
  std::string child;  // "/name"
  std::string alias;  // "alias", the last element
};
absl::StatusOr<LinkSpec> ParseLink(absl::string_view recorded);

// A running container another one links to.
struct LinkedChild {
  std::string alias;
  const v1::ContainerDetail* child = nullptr;
  std::string ip;
};

// Docker's legacy link variables (ALIAS_PORT_80_TCP_ADDR=..., ALIAS_NAME,
// ALIAS_ENV_...), for a container named `parent_name` ("/web").
std::vector<std::string> LinkEnv(const std::string& parent_name,
                                 const LinkedChild& link);

// The /etc/hosts line Docker writes for a link: "IP\talias hostname name".
std::string LinkHostsLine(const LinkedChild& link);

// The container side of berth-netd: a container gets an interface on each
// of its networks (the one --network names as eth0, then the others) with
// its published ports and link rules at start, and gives them back when it
// stops. Thread-safe.
class ContainerNetwork {
 public:
  // `netd` may be null: then there is no bridge, and containers on it get
  // loopback only (as with --bridge=none).
  explicit ContainerNetwork(v1::NetworkService::StubInterface* netd);

  // A network by name, ID or ID prefix (NotFound: "network X not found").
  absl::StatusOr<v1::Network> Lookup(const std::string& ref);

  // Plugs the container's namespace `netns` into each network its
  // settings list. On failure nothing stays allocated.
  absl::StatusOr<v1::NetworkSettings> Connect(
      const v1::ContainerDetail& container, const std::string& netns,
      const std::vector<LinkedChild>& links);

  // One more network for a running container, as `interface` (eth1...);
  // `bridge`, when given, gets the network's bridge interface.
  absl::StatusOr<v1::EndpointSettings> Attach(
      const v1::ContainerDetail& container, const std::string& netns,
      const std::string& network, const std::string& interface,
      std::string* bridge = nullptr);
  absl::Status Detach(const std::string& container_id,
                      const std::string& network);

  // Gives back every interface, port and link; idempotent.
  absl::Status Disconnect(const std::string& container_id);

 private:
  // Whether berth-netd runs a default bridge, asked once.
  absl::StatusOr<bool> Enabled();

  v1::NetworkService::StubInterface* const netd_;
  absl::Mutex mu_;
  bool known_ ABSL_GUARDED_BY(mu_) = false;
  bool enabled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_NETWORK_H_
