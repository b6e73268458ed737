// Real iptables, inside a network namespace of the test's own
// (netns_test_main): the host's rules are never touched.
#include <regex>
#include <string>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/base/subprocess.h"
#include "services/netd/firewall/iptables_firewall.h"
#include "services/netd/firewall/iptables_runner.h"

namespace berth::netd {
namespace {

Ipv4 Ip(const char* text) { return *Ipv4::Parse(text); }

// iptables-save without its dated comments and counters.
std::string Save() {
  absl::StatusOr<CommandResult> saved = RunCommand({"iptables-save"});
  EXPECT_TRUE(saved.ok() && saved->exit_code == 0);
  std::string out;
  for (absl::string_view line : absl::StrSplit(saved->out, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    out += std::regex_replace(std::string(line), std::regex(R"( \[\d+:\d+\])"),
                              "");
    out += "\n";
  }
  return out;
}

BridgePolicy Policy(bool icc) {
  BridgePolicy policy;
  policy.bridge = "berth-t0";
  policy.subnet = *Ipv4Prefix::Parse("172.30.0.1/16");
  policy.icc = icc;
  return policy;
}

PortMapping Port(int host_port, const char* container_ip) {
  PortMapping mapping;
  mapping.host_port = host_port;
  mapping.container_ip = Ip(container_ip);
  mapping.container_port = 80;
  return mapping;
}

LinkRule Link(const char* parent, const char* child) {
  LinkRule link;
  link.parent = Ip(parent);
  link.child = Ip(child);
  link.port = 5432;
  return link;
}

TEST(IptablesFirewallNetnsTest, RestartsReproduceTheRuleSetExactly) {
  CommandIptablesRunner runner;
  const std::string empty = Save();
  std::string after_init, after_changes;
  PortMapping web = Port(8080, "172.30.0.2"), api = Port(8081, "172.30.0.3");
  PortMapping dns = Port(5353, "172.30.0.3");
  dns.protocol = Protocol::kUdp;
  dns.host_ip = Ip("127.0.0.1");
  LinkRule db = Link("172.30.0.2", "172.30.0.4");
  LinkRule cache = Link("172.30.0.3", "172.30.0.4");
  {
    IptablesFirewall firewall(&runner);
    absl::Status init = firewall.Init(Policy(false), {}, {});
    ASSERT_TRUE(init.ok()) << init;
    after_init = Save();
    EXPECT_NE(after_init, empty);
    EXPECT_NE(after_init.find("-A FORWARD -j BERTH-FORWARD"), std::string::npos)
        << after_init;
    EXPECT_NE(after_init.find("-A BERTH-FORWARD -i berth-t0 -o berth-t0 -j "
                              "DROP"),
              std::string::npos);
    // Init again in the same process: nothing changes.
    ASSERT_TRUE(firewall.Init(Policy(false), {}, {}).ok());
    EXPECT_EQ(Save(), after_init);

    ASSERT_TRUE(firewall.AddPortMapping(web).ok());
    ASSERT_TRUE(firewall.AddLink(db).ok());
    ASSERT_TRUE(firewall.AddPortMapping(api).ok());
    ASSERT_TRUE(firewall.AddPortMapping(dns).ok());
    ASSERT_TRUE(firewall.AddLink(cache).ok());
    ASSERT_TRUE(firewall.AddPortMapping(web).ok());  // idempotent
    after_changes = Save();
    EXPECT_NE(after_changes.find("-A BERTH ! -i berth-t0 -p tcp -m tcp "
                                 "--dport 8080 -j DNAT --to-destination "
                                 "172.30.0.2:80"),
              std::string::npos)
        << after_changes;
  }
  {
    // A restart: a new firewall given the same rules in the order they
    // were added produces byte for byte the same rule set.
    IptablesFirewall firewall(&runner);
    ASSERT_TRUE(
        firewall.Init(Policy(false), {web, api, dns}, {db, cache}).ok());
    EXPECT_EQ(Save(), after_changes);
    ASSERT_TRUE(firewall.RemovePortMapping(web).ok());
    ASSERT_TRUE(firewall.RemovePortMapping(api).ok());
    ASSERT_TRUE(firewall.RemovePortMapping(dns).ok());
    ASSERT_TRUE(firewall.RemoveLink(db).ok());
    ASSERT_TRUE(firewall.RemoveLink(cache).ok());
    ASSERT_TRUE(firewall.RemoveLink(cache).ok());  // idempotent
    EXPECT_EQ(Save(), after_init);
  }
  {
    // A restart that lost track of rules: Init drops what berth's chains
    // held beyond what it is given.
    IptablesFirewall firewall(&runner);
    ASSERT_TRUE(firewall.Init(Policy(false), {}, {}).ok());
    ASSERT_TRUE(firewall.AddPortMapping(web).ok());
    IptablesFirewall restarted(&runner);
    ASSERT_TRUE(restarted.Init(Policy(false), {}, {}).ok());
    EXPECT_EQ(Save(), after_init);
    // --icc back on switches the policy rule, and only it.
    ASSERT_TRUE(restarted.Init(Policy(true), {}, {}).ok());
    std::string icc = Save();
    EXPECT_NE(icc.find("-A BERTH-FORWARD -i berth-t0 -o berth-t0 -j ACCEPT"),
              std::string::npos);
    EXPECT_EQ(icc.find("-j DROP"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth::netd
