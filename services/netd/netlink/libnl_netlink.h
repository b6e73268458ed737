#ifndef BERTH_SERVICES_NETD_NETLINK_LIBNL_NETLINK_H_
#define BERTH_SERVICES_NETD_NETLINK_LIBNL_NETLINK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/netd/netlink/netlink.h"

struct nl_sock;
struct rtnl_link;

namespace berth::netd {

// Netlink over libnl-route-3. Each instance owns one rtnetlink socket; the
// namespace it acts on is the one the socket was opened in, whatever
// thread uses it later (OpenNetns opens its socket from a thread that
// joined the target namespace). libnl sockets are not thread-safe, so
// calls are serialized per instance.
class LibnlNetlink final : public Netlink {
 public:
  // A handle on the calling thread's network namespace.
  static absl::StatusOr<std::unique_ptr<LibnlNetlink>> Open();
  // A handle on the network namespace at `netns_path`.
  static absl::StatusOr<std::unique_ptr<LibnlNetlink>> OpenAt(
      const std::string& netns_path);
  ~LibnlNetlink() override;

  absl::StatusOr<LinkInfo> GetLink(const std::string& name) override;
  absl::Status CreateBridge(const std::string& name, int mtu,
                            const std::string& mac) override;
  absl::Status CreateVeth(const VethSpec& spec) override;
  absl::Status DeleteLink(const std::string& name) override;
  absl::Status SetUp(const std::string& name) override;
  absl::Status SetMtu(const std::string& name, int mtu) override;
  absl::Status SetMac(const std::string& name, const std::string& mac) override;
  absl::Status SetMaster(const std::string& name,
                         const std::string& bridge) override;
  absl::Status Rename(const std::string& name,
                      const std::string& new_name) override;
  absl::Status MoveToNetns(const std::string& name, int netns_fd) override;
  absl::Status AddAddress(const std::string& link,
                          const Ipv4Prefix& address) override;
  absl::Status DeleteAddress(const std::string& link,
                             const Ipv4Prefix& address) override;
  absl::StatusOr<std::vector<Ipv4Prefix>> ListAddresses(
      const std::string& link) override;
  absl::Status AddDefaultRoute(Ipv4 gateway, const std::string& link) override;
  absl::StatusOr<std::vector<Ipv4Prefix>> ListRoutes() override;
  absl::StatusOr<std::unique_ptr<Netlink>> OpenNetns(
      const std::string& netns_path) override;

 private:
  explicit LibnlNetlink(nl_sock* sock) : sock_(sock) {}
  absl::StatusOr<int> IndexLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fetches `name`, lets `edit` fill a change request, and sends it.
  absl::Status Change(const std::string& name, const std::string& what,
                      const std::function<absl::Status(rtnl_link*)>& edit);
  absl::Status Address(const std::string& link, const Ipv4Prefix& address,
                       bool add);

  absl::Mutex mu_;
  nl_sock* const sock_;
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_NETLINK_LIBNL_NETLINK_H_
