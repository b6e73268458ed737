#ifndef BERTH_SERVICES_NETD_NETWORK_CORE_H_
#define BERTH_SERVICES_NETD_NETWORK_CORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/config.pb.h"
#include "proto/network.pb.h"
#include "services/netd/endpoint_store.h"
#include "services/netd/firewall/firewall.h"
#include "services/netd/ipam/ip_allocator.h"
#include "services/netd/link_reaper.h"
#include "services/netd/netlink/netlink.h"
#include "services/netd/ports/port_allocator.h"
#include "services/netd/ports/port_proxy.h"
#include "services/netd/sysctl.h"

namespace berth::netd {

// berth's own bridge, when --bridge does not name one (Docker's docker0).
inline constexpr char kDefaultBridge[] = "berth0";
// The container's end of its veth pair.
inline constexpr char kContainerInterface[] = "eth0";
inline constexpr int kDefaultMtu = 1500;

// The bridge driver's settings: berthd's flags.
struct NetworkOptions {
  // --bridge: an existing bridge to use; "" for berth's own kDefaultBridge,
  // made when missing; "none" for no networking at all.
  std::string bridge;
  std::string bip;         // --bip: the bridge's address, "172.17.0.1/16"
  std::string fixed_cidr;  // --fixed-cidr
  int mtu = 0;             // --mtu; 0 for kDefaultMtu
  bool ip_forward = true;  // --ip-forward
  bool ip_masq = true;     // --ip-masq
  bool icc = true;         // --icc
  bool iptables = true;    // --iptables (the caller picks the Firewall)
  std::string default_ip;  // --ip; "" for 0.0.0.0
  // <data-root>/network: ipam/ and endpoints/.
  std::string state_dir;

  // A user-defined network's: its ID (so that a container's veth on it is
  // named apart from its others), berth makes `bridge` even though it is
  // named, --internal, and the bridges its traffic may not reach.
  std::string network_id;
  bool own_bridge = false;
  bool internal = false;
  std::vector<std::string> isolated_from;
};

NetworkOptions NetworkOptionsFromConfig(const v1::DaemonConfig& config);

// What NetworkCore works through; none owned.
struct NetworkDeps {
  Netlink* netlink = nullptr;    // berth-netd's own namespace
  Firewall* firewall = nullptr;  // a NullFirewall with --iptables=false
  PortProxy* proxy = nullptr;
  Sysctl* sysctl = nullptr;
  // Deletes released veths in the background; null: inline.
  LinkReaper* reaper = nullptr;
  // Host ports, shared by every network; null: one of its own, from
  // ephemeral_ports.
  PortAllocator* ports = nullptr;
  PortRange ephemeral_ports;
};

// The seed's bridge driver, one implementation behind both the network
// jobs and NetworkService. Every operation is serialized on one mutex;
// each is a handful of netlink requests, or one iptables-restore per
// published port, so that costs little and keeps the state simple.
//
// State that must outlive berth-netd lives under options.state_dir: the
// IPAM's address files and one endpoint file per container (its netns,
// veth, address, MAC, published ports and links). InitDriver reloads it:
// ports are bound again, rules rebuilt in their original order, and an
// endpoint whose veth is gone (its namespace died while berth-netd was
// down) is released.
class NetworkCore {
 public:
  NetworkCore(NetworkOptions options, NetworkDeps deps);
  ~NetworkCore();

  // init_networkdriver: finds or makes the bridge, its address (--bip, the
  // existing one, or a free private network), MTU, ip_forward, the
  // firewall, the IPAM, and restores the endpoints. Idempotent.
  absl::StatusOr<v1::InitDriverReply> InitDriver();

  // allocate_interface: an address, a veth pair with one end on the
  // bridge and the other as eth0 (address, MAC, MTU, up, default route)
  // in the container's netns.
  absl::StatusOr<v1::NetworkInterface> AllocateInterface(
      const v1::AllocateInterfaceRequest& request);

  // release_interface: unpublishes its ports, drops its links, deletes
  // its veth pair, frees its address. Unknown containers are fine.
  absl::Status ReleaseInterface(const std::string& container_id);

  // allocate_port: reserves the host port, binds it in the userland proxy
  // and adds the DNAT and filter rules.
  absl::StatusOr<v1::PortBinding> AllocatePort(
      const v1::AllocatePortRequest& request);
  absl::Status ReleasePort(const v1::ReleasePortRequest& request);

  // link: the ICC accept rules between two containers on the bridge.
  absl::Status Link(const v1::LinkRequest& request);

  // The containers on it, for network inspect.
  std::vector<v1::NetworkEndpoint> Endpoints();
  bool HasEndpoint(const std::string& container_id);

  // The network is being removed: its rules and chains, the bridge if
  // berth made it, and its state. FailedPrecondition while a container
  // is on it.
  absl::Status Teardown();

 private:
  absl::Status NeedDriverLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Ipv4Prefix> BridgeAddressLocked(bool managed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RestoreLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SetUpContainerLocked(const Endpoint& endpoint)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::NetworkInterface InterfaceLocked(const Endpoint& endpoint) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Ipv4> HostIp(const std::string& text) const;
  Endpoint* FindByIpLocked(Ipv4 ip) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Undoes one published port; false (and `*error` set) if a step failed.
  bool UnpublishLocked(const PortMapping& mapping, absl::Status* error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::InitDriverReply ReplyLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const NetworkOptions options_;
  const NetworkDeps deps_;
  const EndpointStore store_;
  std::unique_ptr<PortAllocator> own_ports_;
  PortAllocator& ports_;

  mutable absl::Mutex mu_;
  bool initialized_ ABSL_GUARDED_BY(mu_) = false;
  bool disabled_ ABSL_GUARDED_BY(mu_) = false;
  bool restored_ ABSL_GUARDED_BY(mu_) = false;
  bool managed_ ABSL_GUARDED_BY(mu_) = false;
  std::string bridge_ ABSL_GUARDED_BY(mu_);
  Ipv4Prefix bridge_address_ ABSL_GUARDED_BY(mu_);
  std::optional<Ipv4Prefix> fixed_cidr_ ABSL_GUARDED_BY(mu_);
  int mtu_ ABSL_GUARDED_BY(mu_) = kDefaultMtu;
  std::unique_ptr<IpAllocator> ipam_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Endpoint> endpoints_ ABSL_GUARDED_BY(mu_);
  int64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
};

// The host end's name: "veth" and 11 hex digits of a hash of the ID, so a
// container always gets the same one and a leftover can be found.
// `salt` (a user network's ID) tells one container's veths apart.
std::string HostVethName(const std::string& container_id,
                         const std::string& salt = "");

// Docker's: 02:42 and the four bytes of the address.
std::string MacFromIp(Ipv4 ip);

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_NETWORK_CORE_H_
