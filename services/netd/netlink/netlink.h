#ifndef BERTH_SERVICES_NETD_NETLINK_NETLINK_H_
#define BERTH_SERVICES_NETD_NETLINK_NETLINK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/netd/ipam/ipv4.h"

namespace berth::netd {

struct LinkInfo {
  std::string name;
  int index = 0;
  // "bridge", "veth", ... ("" for a device without a link kind, as lo).
  std::string kind;
  int mtu = 0;
  // "02:42:ac:11:00:02".
  std::string mac;
  bool up = false;
  // The bridge it is attached to; 0 for none.
  int master_index = 0;
};

// A veth pair, made with one request.
struct VethSpec {
  std::string name;  // the end that stays here
  std::string peer_name;
  int mtu = 0;  // both ends; 0 for the kernel's default
  // Attach `name` to this bridge, and bring it up.
  std::string master;
  bool up = false;
  // Create the peer right inside this network namespace (an fd on it),
  // named peer_name there; -1 to keep it here.
  int peer_netns_fd = -1;
  // The peer's MAC; "" for a random one.
  std::string peer_mac;
};

// The rtnetlink operations berth-netd needs, on one network namespace.
// Names are interface names in that namespace. Errors: NotFound for a
// missing link, AlreadyExists for a name or address already there,
// PermissionDenied without CAP_NET_ADMIN. Implementations are
// thread-safe.
class Netlink {
 public:
  virtual ~Netlink() = default;

  virtual absl::StatusOr<LinkInfo> GetLink(const std::string& name) = 0;
  // `mac` "" for the kernel's choice. A bridge given a MAC keeps it; one
  // without takes its lowest port's, which changes as containers come.
  virtual absl::Status CreateBridge(const std::string& name, int mtu,
                                    const std::string& mac) = 0;
  virtual absl::Status CreateVeth(const VethSpec& spec) = 0;
  // Deleting one end of a veth pair deletes both.
  virtual absl::Status DeleteLink(const std::string& name) = 0;

  virtual absl::Status SetUp(const std::string& name) = 0;
  virtual absl::Status SetMtu(const std::string& name, int mtu) = 0;
  virtual absl::Status SetMac(const std::string& name,
                              const std::string& mac) = 0;
  virtual absl::Status SetMaster(const std::string& name,
                                 const std::string& bridge) = 0;
  // The link must be down.
  virtual absl::Status Rename(const std::string& name,
                              const std::string& new_name) = 0;
  // Into the network namespace `netns_fd` refers to; it keeps its name.
  virtual absl::Status MoveToNetns(const std::string& name, int netns_fd) = 0;

  // `address` keeps its host bits: 172.17.0.2/16. The broadcast address
  // is set from the prefix.
  virtual absl::Status AddAddress(const std::string& link,
                                  const Ipv4Prefix& address) = 0;
  virtual absl::Status DeleteAddress(const std::string& link,
                                     const Ipv4Prefix& address) = 0;
  // IPv4 addresses of `link`, or of every link with "".
  virtual absl::StatusOr<std::vector<Ipv4Prefix>> ListAddresses(
      const std::string& link) = 0;

  // default via `gateway` dev `link`, in the main table.
  virtual absl::Status AddDefaultRoute(Ipv4 gateway,
                                       const std::string& link) = 0;
  // The destinations of the IPv4 routes of every table but `local`
  // (0.0.0.0/0 for default routes).
  virtual absl::StatusOr<std::vector<Ipv4Prefix>> ListRoutes() = 0;

  // The same operations on the network namespace at `netns_path`.
  virtual absl::StatusOr<std::unique_ptr<Netlink>> OpenNetns(
      const std::string& netns_path) = 0;
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_NETLINK_NETLINK_H_
