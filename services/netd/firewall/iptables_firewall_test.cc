#include "services/netd/firewall/iptables_firewall.h"

#include <set>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::netd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Ipv4 Ip(const char* text) { return *Ipv4::Parse(text); }

// Records every call; `-C` finds the rules in `existing`.
class FakeRunner : public IptablesRunner {
 public:
  absl::StatusOr<CommandResult> Iptables(
      const std::vector<std::string>& args) override {
    std::string line = absl::StrJoin(args, " ");
    calls.push_back("iptables " + line);
    CommandResult result;
    if (args.size() > 2 && args[2] == "-C") {
      result.exit_code = existing.count(line) ? 0 : 1;
    }
    return result;
  }
  absl::Status Restore(const std::string& input) override {
    calls.push_back("restore\n" + input);
    if (fail_restore) return absl::InternalError("iptables-restore failed");
    return absl::OkStatus();
  }

  std::vector<std::string> calls;
  std::set<std::string> existing;
  bool fail_restore = false;
};

BridgePolicy Policy(bool icc = true, bool masquerade = true) {
  BridgePolicy policy;
  policy.bridge = "berth0";
  policy.subnet = *Ipv4Prefix::Parse("172.17.0.1/16");
  policy.icc = icc;
  policy.masquerade = masquerade;
  return policy;
}

PortMapping Web(const char* host_ip = "0.0.0.0", int host_port = 8080) {
  PortMapping mapping;
  mapping.protocol = Protocol::kTcp;
  mapping.host_ip = Ip(host_ip);
  mapping.host_port = host_port;
  mapping.container_ip = Ip("172.17.0.2");
  mapping.container_port = 80;
  return mapping;
}

LinkRule Db() {
  LinkRule link;
  link.parent = Ip("172.17.0.2");
  link.child = Ip("172.17.0.3");
  link.port = 5432;
  return link;
}

TEST(IptablesFirewallTest, InitRewritesBerthsChainsAndAddsMissingJumps) {
  FakeRunner runner;
  // A restart: the jumps are there already, except the FORWARD one.
  runner.existing = {
      "-t nat -C PREROUTING -m addrtype --dst-type LOCAL -j BERTH",
      "-t nat -C OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j "
      "BERTH",
      "-t nat -C POSTROUTING -j BERTH-POSTROUTING"};
  IptablesFirewall firewall(&runner);
  LinkRule udp = Db();
  udp.protocol = Protocol::kUdp;
  udp.port = 53;
  ASSERT_TRUE(firewall
                  .Init(Policy(/*icc=*/false), {Web(), Web("127.0.0.1", 8081)},
                        {Db(), udp})
                  .ok());
  ASSERT_EQ(runner.calls.size(), 6u);
  EXPECT_EQ(runner.calls[0],
            "restore\n"
            "*nat\n"
            ":BERTH - [0:0]\n"
            ":BERTH-POSTROUTING - [0:0]\n"
            "-A BERTH-POSTROUTING -s 172.17.0.0/16 ! -o berth0 -j MASQUERADE\n"
            "-A BERTH ! -i berth0 -p tcp -m tcp --dport 8080 -j DNAT "
            "--to-destination 172.17.0.2:80\n"
            "-A BERTH -d 127.0.0.1/32 ! -i berth0 -p tcp -m tcp --dport 8081 "
            "-j DNAT --to-destination 172.17.0.2:80\n"
            "COMMIT\n"
            "*filter\n"
            ":BERTH - [0:0]\n"
            ":BERTH-FORWARD - [0:0]\n"
            "-A BERTH-FORWARD -o berth0 -m conntrack --ctstate "
            "RELATED,ESTABLISHED -j ACCEPT\n"
            "-A BERTH-FORWARD -o berth0 -j BERTH\n"
            "-A BERTH-FORWARD -i berth0 -o berth0 -j DROP\n"
            "-A BERTH-FORWARD -i berth0 ! -o berth0 -j ACCEPT\n"
            "-A BERTH -s 172.17.0.2/32 -d 172.17.0.3/32 -i berth0 -o berth0 "
            "-p udp -m udp --dport 53 -j ACCEPT\n"
            "-A BERTH -s 172.17.0.3/32 -d 172.17.0.2/32 -i berth0 -o berth0 "
            "-p udp -m udp --sport 53 -j ACCEPT\n"
            "-A BERTH -s 172.17.0.2/32 -d 172.17.0.3/32 -i berth0 -o berth0 "
            "-p tcp -m tcp --dport 5432 -j ACCEPT\n"
            "-A BERTH -s 172.17.0.3/32 -d 172.17.0.2/32 -i berth0 -o berth0 "
            "-p tcp -m tcp --sport 5432 -j ACCEPT\n"
            "-A BERTH -d 172.17.0.2/32 ! -i berth0 -o berth0 -p tcp -m tcp "
            "--dport 80 -j ACCEPT\n"
            "-A BERTH -d 172.17.0.2/32 ! -i berth0 -o berth0 -p tcp -m tcp "
            "--dport 80 -j ACCEPT\n"
            "COMMIT\n");
  EXPECT_THAT(
      std::vector<std::string>(runner.calls.begin() + 1, runner.calls.end()),
      ElementsAre(
          "iptables -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j "
          "BERTH",
          "iptables -t nat -C OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type "
          "LOCAL -j BERTH",
          "iptables -t nat -C POSTROUTING -j BERTH-POSTROUTING",
          "iptables -t filter -C FORWARD -j BERTH-FORWARD",
          "iptables -t filter -I FORWARD 1 -j BERTH-FORWARD"));
}

TEST(IptablesFirewallTest, PolicyFollowsIccAndMasquerade) {
  FakeRunner runner;
  std::string input = IptablesFirewall(&runner).InitInput(
      Policy(/*icc=*/true, /*masquerade=*/false), {}, {});
  EXPECT_THAT(input, HasSubstr("-A BERTH-FORWARD -i berth0 -o berth0 -j "
                               "ACCEPT\n"));
  EXPECT_EQ(input.find("MASQUERADE"), std::string::npos);
  // The chains are declared, so emptied, all the same.
  EXPECT_THAT(input, HasSubstr(":BERTH-POSTROUTING - [0:0]\n"));
}

TEST(IptablesFirewallTest, PortMappingsAreOneBatchEachAndIdempotent) {
  FakeRunner runner;
  IptablesFirewall firewall(&runner);
  EXPECT_TRUE(absl::IsFailedPrecondition(firewall.AddPortMapping(Web())));
  ASSERT_TRUE(firewall.Init(Policy(), {}, {}).ok());
  runner.calls.clear();

  PortMapping dns = Web();
  dns.protocol = Protocol::kUdp;
  dns.host_port = 5353;
  dns.container_port = 53;
  ASSERT_TRUE(firewall.AddPortMapping(dns).ok());
  ASSERT_TRUE(firewall.AddPortMapping(dns).ok());  // no second batch
  ASSERT_EQ(runner.calls.size(), 1u);
  EXPECT_EQ(runner.calls[0],
            "restore\n"
            "*nat\n"
            "-A BERTH ! -i berth0 -p udp -m udp --dport 5353 -j DNAT "
            "--to-destination 172.17.0.2:53\n"
            "COMMIT\n"
            "*filter\n"
            "-A BERTH -d 172.17.0.2/32 ! -i berth0 -o berth0 -p udp -m udp "
            "--dport 53 -j ACCEPT\n"
            "COMMIT\n");
  ASSERT_TRUE(firewall.RemovePortMapping(dns).ok());
  ASSERT_TRUE(firewall.RemovePortMapping(dns).ok());
  ASSERT_EQ(runner.calls.size(), 2u);
  EXPECT_THAT(runner.calls[1],
              HasSubstr("-D BERTH ! -i berth0 -p udp -m udp --dport 5353"));
  EXPECT_THAT(runner.calls[1], HasSubstr("-D BERTH -d 172.17.0.2/32"));
}

TEST(IptablesFirewallTest, AFailedBatchChangesNothing) {
  FakeRunner runner;
  IptablesFirewall firewall(&runner);
  ASSERT_TRUE(firewall.Init(Policy(), {}, {}).ok());
  runner.fail_restore = true;
  EXPECT_FALSE(firewall.AddPortMapping(Web()).ok());
  runner.fail_restore = false;
  runner.calls.clear();
  // Not recorded as installed: the next add tries again.
  ASSERT_TRUE(firewall.AddPortMapping(Web()).ok());
  EXPECT_EQ(runner.calls.size(), 1u);
  // And a failing Init is reported.
  runner.fail_restore = true;
  EXPECT_FALSE(firewall.Init(Policy(), {}, {}).ok());
}

TEST(IptablesFirewallTest, LinksAreInsertedAtTheTopBothWays) {
  FakeRunner runner;
  IptablesFirewall firewall(&runner);
  ASSERT_TRUE(firewall.Init(Policy(false), {}, {}).ok());
  runner.calls.clear();
  ASSERT_TRUE(firewall.AddLink(Db()).ok());
  ASSERT_TRUE(firewall.AddLink(Db()).ok());
  ASSERT_EQ(runner.calls.size(), 1u);
  EXPECT_EQ(runner.calls[0],
            "restore\n"
            "*filter\n"
            "-I BERTH 1 -s 172.17.0.3/32 -d 172.17.0.2/32 -i berth0 -o berth0 "
            "-p tcp -m tcp --sport 5432 -j ACCEPT\n"
            "-I BERTH 1 -s 172.17.0.2/32 -d 172.17.0.3/32 -i berth0 -o berth0 "
            "-p tcp -m tcp --dport 5432 -j ACCEPT\n"
            "COMMIT\n");
  ASSERT_TRUE(firewall.RemoveLink(Db()).ok());
  ASSERT_TRUE(firewall.RemoveLink(Db()).ok());
  ASSERT_EQ(runner.calls.size(), 2u);
  EXPECT_THAT(runner.calls[1], HasSubstr("-D BERTH -s 172.17.0.2/32"));
}

TEST(IptablesFirewallTest, AUserNetworkHasChainsOfItsOwnAndGoesWhole) {
  FakeRunner runner;
  IptablesFirewall firewall(&runner, IptablesChains::WithSuffix("1a2b3c4d"));
  BridgePolicy policy;
  policy.bridge = "br-1a2b3c4d5e6f";
  policy.subnet = *Ipv4Prefix::Parse("172.18.0.1/16");
  policy.isolated_from = {"br+", "berth0"};
  EXPECT_EQ(firewall.InitInput(policy, {}, {}),
            "*nat\n"
            ":BERTH-1a2b3c4d - [0:0]\n"
            ":BERTH-POSTROUTING-1a2b3c4d - [0:0]\n"
            "-A BERTH-POSTROUTING-1a2b3c4d -s 172.18.0.0/16 ! -o "
            "br-1a2b3c4d5e6f -j MASQUERADE\n"
            "COMMIT\n"
            "*filter\n"
            ":BERTH-1a2b3c4d - [0:0]\n"
            ":BERTH-FORWARD-1a2b3c4d - [0:0]\n"
            "-A BERTH-FORWARD-1a2b3c4d -o br-1a2b3c4d5e6f -m conntrack "
            "--ctstate RELATED,ESTABLISHED -j ACCEPT\n"
            "-A BERTH-FORWARD-1a2b3c4d -o br-1a2b3c4d5e6f -j BERTH-1a2b3c4d\n"
            "-A BERTH-FORWARD-1a2b3c4d -i br-1a2b3c4d5e6f -o br-1a2b3c4d5e6f "
            "-j ACCEPT\n"
            "-A BERTH-FORWARD-1a2b3c4d -i br-1a2b3c4d5e6f -o br+ -j DROP\n"
            "-A BERTH-FORWARD-1a2b3c4d -i br-1a2b3c4d5e6f -o berth0 -j DROP\n"
            "-A BERTH-FORWARD-1a2b3c4d -i br-1a2b3c4d5e6f ! -o "
            "br-1a2b3c4d5e6f -j ACCEPT\n"
            "COMMIT\n");
  policy.internal = true;
  EXPECT_EQ(firewall.InitInput(policy, {}, {}),
            "*nat\n"
            ":BERTH-1a2b3c4d - [0:0]\n"
            ":BERTH-POSTROUTING-1a2b3c4d - [0:0]\n"
            "COMMIT\n"
            "*filter\n"
            ":BERTH-1a2b3c4d - [0:0]\n"
            ":BERTH-FORWARD-1a2b3c4d - [0:0]\n"
            "-A BERTH-FORWARD-1a2b3c4d -i br-1a2b3c4d5e6f -o br-1a2b3c4d5e6f "
            "-j ACCEPT\n"
            "-A BERTH-FORWARD-1a2b3c4d -i br-1a2b3c4d5e6f -j DROP\n"
            "-A BERTH-FORWARD-1a2b3c4d -o br-1a2b3c4d5e6f -j DROP\n"
            "COMMIT\n");
  ASSERT_TRUE(firewall.Init(policy, {}, {}).ok());
  runner.calls.clear();
  // Two of the jumps are there; the others went already.
  runner.existing = {
      "-t nat -C POSTROUTING -j BERTH-POSTROUTING-1a2b3c4d",
      "-t filter -C FORWARD -j BERTH-FORWARD-1a2b3c4d",
  };
  ASSERT_TRUE(firewall.Remove().ok());
  EXPECT_THAT(
      runner.calls,
      ElementsAre(
          "iptables -t nat -C PREROUTING -m addrtype --dst-type LOCAL "
          "-j BERTH-1a2b3c4d",
          "iptables -t nat -C OUTPUT ! -d 127.0.0.0/8 -m addrtype "
          "--dst-type LOCAL -j BERTH-1a2b3c4d",
          "iptables -t nat -C POSTROUTING -j BERTH-POSTROUTING-1a2b3c4d",
          "iptables -t nat -D POSTROUTING -j BERTH-POSTROUTING-1a2b3c4d",
          "iptables -t filter -C FORWARD -j BERTH-FORWARD-1a2b3c4d",
          "iptables -t filter -D FORWARD -j BERTH-FORWARD-1a2b3c4d",
          "iptables -t nat -F BERTH-1a2b3c4d",
          "iptables -t nat -F BERTH-POSTROUTING-1a2b3c4d",
          "iptables -t filter -F BERTH-1a2b3c4d",
          "iptables -t filter -F BERTH-FORWARD-1a2b3c4d",
          "iptables -t nat -X BERTH-1a2b3c4d",
          "iptables -t nat -X BERTH-POSTROUTING-1a2b3c4d",
          "iptables -t filter -X BERTH-1a2b3c4d",
          "iptables -t filter -X BERTH-FORWARD-1a2b3c4d"));
  EXPECT_TRUE(absl::IsFailedPrecondition(firewall.AddPortMapping(Web())));
}

TEST(IptablesFirewallTest, NullFirewallTouchesNothing) {
  NullFirewall firewall;
  EXPECT_TRUE(firewall.Init(Policy(), {Web()}, {Db()}).ok());
  EXPECT_TRUE(firewall.AddPortMapping(Web()).ok());
  EXPECT_TRUE(firewall.AddLink(Db()).ok());
}

}  // namespace
}  // namespace berth::netd
