#ifndef BERTH_SERVICES_NETD_FIREWALL_FIREWALL_H_
#define BERTH_SERVICES_NETD_FIREWALL_FIREWALL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/netd/ipam/ipv4.h"
#include "services/netd/ports/port_mapping.h"

namespace berth::netd {

// The bridge-wide part of the rules.
struct BridgePolicy {
  std::string bridge;
  Ipv4Prefix subnet;
  // --ip-masq: containers reach the outside from the host's address.
  bool masquerade = true;
  // --icc: containers on the bridge reach each other; otherwise only
  // through links.
  bool icc = true;
  // A user-defined --internal network: no traffic leaves or enters the
  // bridge, only within it.
  bool internal = false;
  // Other networks' bridges (iptables interface names, "br+" allowed)
  // that no traffic from this one may reach.
  std::vector<std::string> isolated_from;
};

// A link (docker run --link): `parent` may reach `child` on `port`, and
// the replies come back, even with --icc=false.
struct LinkRule {
  Protocol protocol = Protocol::kTcp;
  Ipv4 parent;
  Ipv4 child;
  int port = 0;

  friend bool operator==(const LinkRule& a, const LinkRule& b) {
    return a.protocol == b.protocol && a.parent == b.parent &&
           a.child == b.child && a.port == b.port;
  }
};

// The packet filter behind berth's bridge: iptables today
// (IptablesFirewall), nftables some day. Each container adds a constant
// number of rules: two per published port, two per link port.
class Firewall {
 public:
  virtual ~Firewall() = default;

  // Makes berth's rules exactly `policy` plus `ports` and `links` (each in
  // the order they were first added), creating berth's chains and the
  // jumps to them where missing and dropping whatever else berth's chains
  // held. Running it again with the same arguments leaves the rule set as
  // it was, so a restart reproduces it. Call before the others.
  virtual absl::Status Init(const BridgePolicy& policy,
                            const std::vector<PortMapping>& ports,
                            const std::vector<LinkRule>& links) = 0;

  // DNAT from the host port to the container plus the filter rule that
  // lets it through. Adding what is there, or removing what is not, is a
  // no-op.
  virtual absl::Status AddPortMapping(const PortMapping& mapping) = 0;
  virtual absl::Status RemovePortMapping(const PortMapping& mapping) = 0;

  // Accept rules for a link, both directions.
  virtual absl::Status AddLink(const LinkRule& link) = 0;
  virtual absl::Status RemoveLink(const LinkRule& link) = 0;

  // The network is going: every rule, chain and jump of this firewall.
  virtual absl::Status Remove() = 0;
};

// --iptables=false: berth touches no rules at all.
class NullFirewall final : public Firewall {
 public:
  absl::Status Init(const BridgePolicy&, const std::vector<PortMapping>&,
                    const std::vector<LinkRule>&) override {
    return absl::OkStatus();
  }
  absl::Status AddPortMapping(const PortMapping&) override {
    return absl::OkStatus();
  }
  absl::Status RemovePortMapping(const PortMapping&) override {
    return absl::OkStatus();
  }
  absl::Status AddLink(const LinkRule&) override { return absl::OkStatus(); }
  absl::Status RemoveLink(const LinkRule&) override { return absl::OkStatus(); }
  absl::Status Remove() override { return absl::OkStatus(); }
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_FIREWALL_FIREWALL_H_
