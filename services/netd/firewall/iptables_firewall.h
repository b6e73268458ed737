#ifndef BERTH_SERVICES_NETD_FIREWALL_IPTABLES_FIREWALL_H_
#define BERTH_SERVICES_NETD_FIREWALL_IPTABLES_FIREWALL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/netd/firewall/firewall.h"
#include "services/netd/firewall/iptables_runner.h"

namespace berth::netd {

// berth's chains. Only the jumps to them touch the built-in chains.
inline constexpr char kBerthChain[] = "BERTH";
inline constexpr char kBerthForwardChain[] = "BERTH-FORWARD";
inline constexpr char kBerthPostroutingChain[] = "BERTH-POSTROUTING";

// The chains one network's rules live in: berth's own for the default
// bridge, suffixed ones for each user-defined network, so that a network
// can be set up and torn down without touching another's rules.
struct IptablesChains {
  std::string nat = kBerthChain;
  std::string filter = kBerthChain;
  std::string forward = kBerthForwardChain;
  std::string postrouting = kBerthPostroutingChain;

  // "BERTH-<suffix>", "BERTH-FORWARD-<suffix>", ...: at most 28
  // characters with an 8-character suffix.
  static IptablesChains WithSuffix(const std::string& suffix);
};

// One iptables rule: `-A chain spec...` in `table`.
struct IptablesRule {
  std::string table;
  std::string chain;
  std::vector<std::string> spec;

  // "-A BERTH -d 172.17.0.2/32 ..." as iptables-restore reads it, with
  // `op` in place of -A.
  std::string Line(const std::string& op = "-A") const;
};

// Firewall over iptables (nf_tables or legacy backend alike), as Docker
// lays it out, with berth's own chain names:
//
//   nat    PREROUTING  -m addrtype --dst-type LOCAL -j BERTH
//   nat    OUTPUT      ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j BERTH
//   nat    POSTROUTING -j BERTH-POSTROUTING
//   filter FORWARD     -j BERTH-FORWARD                   (first)
//
//   nat    BERTH-POSTROUTING  -s SUBNET ! -o BRIDGE -j MASQUERADE  (--ip-masq)
//   nat    BERTH        per published port: [-d HOSTIP/32] ! -i BRIDGE
//                       -p P -m P --dport HOSTPORT -j DNAT --to-destination
//                       CIP:CPORT
//   filter BERTH-FORWARD  -o BRIDGE -m conntrack --ctstate
//                         RELATED,ESTABLISHED -j ACCEPT
//                         -o BRIDGE -j BERTH
//                         -i BRIDGE -o BRIDGE -j ACCEPT|DROP        (--icc)
//                         -i BRIDGE -o OTHER -j DROP  (per isolated bridge)
//                         -i BRIDGE ! -o BRIDGE -j ACCEPT
//                         (an --internal network instead: -i BRIDGE -o
//                         BRIDGE -j ACCEPT, -i BRIDGE -j DROP, -o BRIDGE -j
//                         DROP, and no MASQUERADE)
//   filter BERTH        links (newest first): -s A/32 -d B/32 -i BRIDGE
//                       -o BRIDGE -p P -m P --dport PORT -j ACCEPT and the
//                       reply rule with --sport; then per published port:
//                       -d CIP/32 ! -i BRIDGE -o BRIDGE -p P -m P --dport
//                       CPORT -j ACCEPT
//
// Init rewrites berth's chains whole with one `iptables-restore
// --noflush` (declaring a chain there empties it) and adds only the jumps
// `iptables -C` does not find. Each change afterwards is one
// iptables-restore of its two rules, so they land together or not at all.
// What is installed is kept in memory, which makes adds and removes
// idempotent without asking iptables. Thread-safe.
class IptablesFirewall final : public Firewall {
 public:
  explicit IptablesFirewall(IptablesRunner* runner, IptablesChains chains = {})
      : runner_(runner), chains_(std::move(chains)) {}

  absl::Status Init(const BridgePolicy& policy,
                    const std::vector<PortMapping>& ports,
                    const std::vector<LinkRule>& links) override;
  absl::Status AddPortMapping(const PortMapping& mapping) override;
  absl::Status RemovePortMapping(const PortMapping& mapping) override;
  absl::Status AddLink(const LinkRule& link) override;
  absl::Status RemoveLink(const LinkRule& link) override;
  // Deletes the jumps, then empties and deletes the chains.
  absl::Status Remove() override;

  // The rules, for tests and for the curious.
  std::vector<IptablesRule> JumpRules() const;
  std::vector<IptablesRule> PolicyRules(const BridgePolicy& policy) const;
  // DNAT, then the filter accept.
  std::vector<IptablesRule> PortRules(const std::string& bridge,
                                      const PortMapping& mapping) const;
  // Forward, then reply.
  std::vector<IptablesRule> LinkRules(const std::string& bridge,
                                      const LinkRule& link) const;
  // The whole iptables-restore input Init feeds.
  std::string InitInput(const BridgePolicy& policy,
                        const std::vector<PortMapping>& ports,
                        const std::vector<LinkRule>& links) const;

 private:
  absl::Status EnsureJump(const IptablesRule& jump, bool first);
  absl::Status NeedPolicy() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::pair<std::string, std::string>> Chains() const;

  IptablesRunner* const runner_;
  const IptablesChains chains_;
  absl::Mutex mu_;
  std::optional<BridgePolicy> policy_ ABSL_GUARDED_BY(mu_);
  std::vector<PortMapping> ports_ ABSL_GUARDED_BY(mu_);
  std::vector<LinkRule> links_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_FIREWALL_IPTABLES_FIREWALL_H_
