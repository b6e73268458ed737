#ifndef BERTH_SERVICES_NETD_NETWORK_MANAGER_H_
#define BERTH_SERVICES_NETD_NETWORK_MANAGER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/network.pb.h"
#include "services/netd/firewall/firewall.h"
#include "services/netd/network_core.h"

namespace berth::netd {

// What the manager builds networks from; none owned.
struct NetworkManagerDeps {
  Netlink* netlink = nullptr;
  LinkReaper* reaper = nullptr;
  PortProxy* proxy = nullptr;
  Sysctl* sysctl = nullptr;
  // Shared by every network, so a host port is taken once.
  PortAllocator* ports = nullptr;
  // The default bridge's firewall.
  Firewall* firewall = nullptr;
  // A user network's, with chains named by `suffix`.
  std::function<std::unique_ptr<Firewall>(const std::string& suffix)>
      make_firewall;
};

// Docker's networks: the default bridge (berthd's flags), the "host" and
// "none" pseudo-networks, and user-defined bridge networks, each a
// NetworkCore of its own with its bridge, IPAM, endpoints and firewall
// chains. A user network's record is <state>/networks/<id>/network.json;
// its IPAM and endpoints live beside it. Thread-safe.
class NetworkManager {
 public:
  NetworkManager(NetworkOptions default_options, NetworkManagerDeps deps);
  ~NetworkManager();

  // The default bridge, then every user network again. Idempotent.
  absl::StatusOr<v1::InitDriverReply> InitDriver();

  absl::StatusOr<v1::Network> Create(const v1::NetworkConfig& config);
  absl::StatusOr<v1::Network> Inspect(const std::string& ref);
  absl::StatusOr<v1::ListNetworksReply> List(
      const v1::ListNetworksRequest& request);
  absl::Status Remove(const std::string& ref);
  absl::StatusOr<v1::PruneNetworksReply> Prune(
      const v1::PruneNetworksRequest& request);

  // The container operations, on the network the request names (the
  // default bridge when none). Releasing with no network releases the
  // container everywhere; ports and links live on the default bridge or
  // on the first network the container is on.
  absl::StatusOr<v1::NetworkInterface> AllocateInterface(
      const v1::AllocateInterfaceRequest& request);
  absl::Status ReleaseInterface(const v1::ReleaseInterfaceRequest& request);
  absl::StatusOr<v1::PortBinding> AllocatePort(
      const v1::AllocatePortRequest& request);
  absl::Status ReleasePort(const v1::ReleasePortRequest& request);
  absl::Status Link(const v1::LinkRequest& request);

 private:
  struct Net {
    v1::Network info;
    std::unique_ptr<Firewall> firewall;  // user networks only
    std::unique_ptr<NetworkCore> core;   // null for host and none
  };

  absl::StatusOr<std::shared_ptr<Net>> FindLocked(const std::string& ref)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<Net>> Find(const std::string& ref);
  // The network a container's ports go on.
  std::shared_ptr<Net> PortNetwork(const std::string& container_id);
  absl::StatusOr<std::shared_ptr<Net>> MakeUserNetwork(v1::Network info)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadBuiltins() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadUserNetworks() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Network Describe(const Net& net);
  std::string UserDir(const std::string& id) const;

  const NetworkOptions default_options_;
  const NetworkManagerDeps deps_;
  absl::Mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<Net> default_ ABSL_GUARDED_BY(mu_);
  // By ID: bridge, host, none and the user networks.
  std::map<std::string, std::shared_ptr<Net>> networks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_NETWORK_MANAGER_H_
