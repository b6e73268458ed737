#ifndef BERTH_SERVICES_NETD_FAKES_H_
#define BERTH_SERVICES_NETD_FAKES_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/netd/firewall/firewall.h"
#include "services/netd/netlink/netlink.h"
#include "services/netd/ports/port_proxy.h"
#include "services/netd/sysctl.h"

// In-memory stand-ins for what NetworkCore works through, for tests that
// need no root and touch nothing.
namespace berth::netd::testing {

struct FakeLink {
  std::string kind;
  int index = 0;
  int mtu = 1500;
  std::string mac;
  bool up = false;
  std::string master;
  std::string peer_ns;  // veth: where the other end is
  std::string peer;
  std::vector<Ipv4Prefix> addresses;
};

// Every namespace's links and routes; "host" is berth-netd's own, the
// others are named by their netns paths.
struct FakeNetworkWorld {
  absl::Mutex mu;
  std::map<std::string, std::map<std::string, FakeLink>> links
      ABSL_GUARDED_BY(mu);
  std::map<std::string, std::vector<Ipv4Prefix>> extra_routes
      ABSL_GUARDED_BY(mu);
  // "ns default via GW dev LINK".
  std::vector<std::string> default_routes ABSL_GUARDED_BY(mu);
  // Operations that fail, by name: "AddDefaultRoute", ...
  std::set<std::string> failing ABSL_GUARDED_BY(mu);
  int next_index ABSL_GUARDED_BY(mu) = 10;
  int creates ABSL_GUARDED_BY(mu) = 0;
};

class FakeNetlink final : public Netlink {
 public:
  FakeNetlink(FakeNetworkWorld* world, std::string ns)
      : world_(world), ns_(std::move(ns)) {}

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
  absl::Status Fails(const std::string& op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(world_->mu);
  FakeLink* Find(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(world_->mu);

  FakeNetworkWorld* world_;
  const std::string ns_;
};

class FakeFirewall final : public Firewall {
 public:
  absl::Status Init(const BridgePolicy& policy,
                    const std::vector<PortMapping>& ports,
                    const std::vector<LinkRule>& links) override;
  absl::Status AddPortMapping(const PortMapping& mapping) override;
  absl::Status RemovePortMapping(const PortMapping& mapping) override;
  absl::Status AddLink(const LinkRule& link) override;
  absl::Status RemoveLink(const LinkRule& link) override;
  absl::Status Remove() override;

  int inits = 0;
  bool removed = false;
  BridgePolicy policy;
  std::vector<PortMapping> ports;
  std::vector<LinkRule> links;
  bool fail = false;
};

class FakeProxy final : public PortProxy {
 public:
  absl::Status Start(const PortMapping& mapping) override;
  void Stop(const PortMapping& mapping) override;

  std::vector<PortMapping> running;
  // Host ports other programs hold.
  std::set<int> taken;
};

class FakeSysctl final : public Sysctl {
 public:
  absl::Status Set(const std::string& key, const std::string& value) override {
    values[key] = value;
    return absl::OkStatus();
  }
  std::map<std::string, std::string> values;
};

}  // namespace berth::netd::testing

#endif  // BERTH_SERVICES_NETD_FAKES_H_
