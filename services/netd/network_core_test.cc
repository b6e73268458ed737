#include "services/netd/network_core.h"

#include <unistd.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/netd/fakes.h"

namespace berth::netd {
namespace {

using ::testing::ElementsAre;
using testing::FakeFirewall;
using testing::FakeNetlink;
using testing::FakeNetworkWorld;
using testing::FakeProxy;
using testing::FakeSysctl;
using ::testing::HasSubstr;

Ipv4 Ip(const char* text) { return *Ipv4::Parse(text); }
Ipv4Prefix P(const char* text) { return *Ipv4Prefix::Parse(text); }

class NetworkCoreTest : public ::testing::Test {
 protected:
  NetworkCoreTest() : host_(&world_, "host") {
    absl::MutexLock lock(&world_.mu);
    // The host already routes 172.17.0.0/16 somewhere.
    world_.extra_routes["host"] = {P("0.0.0.0/0"), P("172.17.0.0/16")};
  }

  std::unique_ptr<NetworkCore> NewCore(NetworkOptions options = {}) {
    options.state_dir = tmp_.Join("network");
    NetworkDeps deps;
    deps.netlink = &host_;
    deps.firewall = &firewall_;
    deps.proxy = &proxy_;
    deps.sysctl = &sysctl_;
    deps.ephemeral_ports = {49153, 49160};
    return std::make_unique<NetworkCore>(options, deps);
  }

  // A file standing for a container's network namespace.
  std::string Netns(const std::string& name) {
    std::string path = tmp_.Join(name);
    std::ofstream(path) << "";
    return path;
  }

  absl::StatusOr<v1::NetworkInterface> Allocate(NetworkCore& core,
                                                const std::string& id,
                                                const std::string& netns) {
    v1::AllocateInterfaceRequest request;
    request.set_container_id(id);
    request.set_netns_path(netns);
    return core.AllocateInterface(request);
  }

  absl::StatusOr<v1::PortBinding> Publish(NetworkCore& core,
                                          const std::string& id, int host_port,
                                          int container_port,
                                          const std::string& proto = "tcp") {
    v1::AllocatePortRequest request;
    request.set_container_id(id);
    request.set_host_port(host_port);
    request.set_container_port(container_port);
    request.set_protocol(proto);
    return core.AllocatePort(request);
  }

  bool HasLink(const std::string& ns, const std::string& name) {
    absl::MutexLock lock(&world_.mu);
    return world_.links[ns].count(name) > 0;
  }

  berth::testing::TempDir tmp_;
  FakeNetworkWorld world_;
  FakeNetlink host_;
  FakeFirewall firewall_;
  FakeProxy proxy_;
  FakeSysctl sysctl_;
};

TEST_F(NetworkCoreTest, InitMakesBerthsBridgeOnAFreeNetwork) {
  auto core = NewCore();
  EXPECT_TRUE(
      absl::IsFailedPrecondition(Allocate(*core, "c1", Netns("ns1")).status()));
  absl::StatusOr<v1::InitDriverReply> init = core->InitDriver();
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->bridge(), "berth0");
  EXPECT_EQ(init->bridge_address(), "172.18.0.1/16");
  EXPECT_EQ(init->allocation_range(), "172.18.0.0/16");
  EXPECT_EQ(init->mtu(), 1500);
  EXPECT_TRUE(init->managed_bridge());
  absl::StatusOr<LinkInfo> bridge = host_.GetLink("berth0");
  ASSERT_TRUE(bridge.ok());
  EXPECT_EQ(bridge->kind, "bridge");
  EXPECT_TRUE(bridge->up);
  EXPECT_THAT(bridge->mac, HasSubstr("02:42:"));
  EXPECT_EQ(*host_.ListAddresses("berth0"),
            std::vector<Ipv4Prefix>{P("172.18.0.1/16")});
  EXPECT_EQ(sysctl_.values["net.ipv4.ip_forward"], "1");
  EXPECT_EQ(firewall_.inits, 1);
  EXPECT_EQ(firewall_.policy.bridge, "berth0");
  EXPECT_EQ(firewall_.policy.subnet, P("172.18.0.1/16"));

  // Again: nothing new is made, the answer is the same.
  absl::StatusOr<v1::InitDriverReply> again = core->InitDriver();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), init->SerializeAsString());
  absl::MutexLock lock(&world_.mu);
  EXPECT_EQ(world_.creates, 1);
}

TEST_F(NetworkCoreTest, InitHonoursBipMtuAndAnExistingBridge) {
  NetworkOptions options;
  options.bip = "10.20.0.1/24";
  options.mtu = 1400;
  options.fixed_cidr = "10.20.0.128/25";
  options.ip_forward = false;
  auto core = NewCore(options);
  absl::StatusOr<v1::InitDriverReply> init = core->InitDriver();
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->bridge_address(), "10.20.0.1/24");
  EXPECT_EQ(init->allocation_range(), "10.20.0.128/25");
  EXPECT_EQ(host_.GetLink("berth0")->mtu, 1400);
  EXPECT_TRUE(sysctl_.values.empty());
  EXPECT_EQ(Allocate(*core, "c1", Netns("ns1"))->ip(), "10.20.0.129");

  // Another --bip over the bridge as it is now: Docker's refusal.
  options.bip = "10.30.0.1/24";
  absl::Status mismatch = NewCore(options)->InitDriver().status();
  EXPECT_TRUE(absl::IsFailedPrecondition(mismatch));
  EXPECT_THAT(mismatch.message(), HasSubstr("does not match"));
}

TEST_F(NetworkCoreTest, InitRefusesWhatItCannotUse) {
  NetworkOptions options;
  options.bridge = "br-missing";
  absl::Status missing = NewCore(options)->InitDriver().status();
  EXPECT_TRUE(absl::IsNotFound(missing));
  EXPECT_THAT(missing.message(), HasSubstr("--bridge"));

  ASSERT_TRUE(host_.CreateBridge("br-bare", 0, "").ok());
  options.bridge = "br-bare";
  EXPECT_TRUE(
      absl::IsFailedPrecondition(NewCore(options)->InitDriver().status()));

  ASSERT_TRUE(host_.CreateVeth({"vx", "vy"}).ok());
  options.bridge = "vx";
  EXPECT_TRUE(
      absl::IsFailedPrecondition(NewCore(options)->InitDriver().status()));

  options = {};
  options.bip = "10.0.0.1";
  EXPECT_TRUE(absl::IsInvalidArgument(NewCore(options)->InitDriver().status()));
  options = {};
  options.default_ip = "localhost";
  EXPECT_TRUE(absl::IsInvalidArgument(NewCore(options)->InitDriver().status()));
  options = {};
  options.fixed_cidr = "10.9.0.0/24";  // not inside 172.18.0.0/16
  EXPECT_TRUE(absl::IsInvalidArgument(NewCore(options)->InitDriver().status()));
}

TEST_F(NetworkCoreTest, UsesAnExistingBridgeAsItIs) {
  ASSERT_TRUE(host_.CreateBridge("br0", 9000, "").ok());
  ASSERT_TRUE(host_.AddAddress("br0", P("192.168.77.1/24")).ok());
  NetworkOptions options;
  options.bridge = "br0";
  auto core = NewCore(options);
  absl::StatusOr<v1::InitDriverReply> init = core->InitDriver();
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_FALSE(init->managed_bridge());
  EXPECT_EQ(init->bridge_address(), "192.168.77.1/24");
  EXPECT_EQ(host_.GetLink("br0")->mtu, 9000);  // not berth's to change
  EXPECT_TRUE(host_.GetLink("br0")->up);
}

TEST_F(NetworkCoreTest, BridgeNoneDisablesNetworking) {
  NetworkOptions options;
  options.bridge = "none";
  auto core = NewCore(options);
  absl::StatusOr<v1::InitDriverReply> init = core->InitDriver();
  ASSERT_TRUE(init.ok());
  EXPECT_TRUE(init->disabled());
  EXPECT_EQ(firewall_.inits, 0);
  absl::Status refused = Allocate(*core, "c1", Netns("ns1")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused));
  EXPECT_THAT(refused.message(), HasSubstr("--bridge=none"));
  EXPECT_TRUE(core->ReleaseInterface("c1").ok());
}

TEST_F(NetworkCoreTest, AllocatesAnInterfaceInTheContainersNamespace) {
  auto core = NewCore();
  ASSERT_TRUE(core->InitDriver().ok());
  std::string ns = Netns("ns1");
  absl::StatusOr<v1::NetworkInterface> iface = Allocate(*core, "c1", ns);
  ASSERT_TRUE(iface.ok()) << iface.status();
  EXPECT_EQ(iface->ip(), "172.18.0.2");
  EXPECT_EQ(iface->prefix_length(), 16);
  EXPECT_EQ(iface->gateway(), "172.18.0.1");
  EXPECT_EQ(iface->mac_address(), "02:42:ac:12:00:02");
  EXPECT_EQ(iface->bridge(), "berth0");
  EXPECT_EQ(iface->interface_name(), "eth0");
  EXPECT_EQ(iface->host_interface(), HostVethName("c1"));
  EXPECT_EQ(iface->host_interface().size(), 15u);
  absl::StatusOr<LinkInfo> veth = host_.GetLink(iface->host_interface());
  ASSERT_TRUE(veth.ok());
  EXPECT_EQ(veth->master_index, host_.GetLink("berth0")->index);
  EXPECT_TRUE(veth->up);
  FakeNetlink inside(&world_, ns);
  absl::StatusOr<LinkInfo> eth0 = inside.GetLink("eth0");
  ASSERT_TRUE(eth0.ok());
  EXPECT_EQ(eth0->mac, "02:42:ac:12:00:02");
  EXPECT_TRUE(eth0->up);
  EXPECT_EQ(*inside.ListAddresses("eth0"),
            std::vector<Ipv4Prefix>{P("172.18.0.2/16")});
  {
    absl::MutexLock lock(&world_.mu);
    EXPECT_THAT(world_.default_routes,
                ElementsAre(ns + " default via 172.18.0.1 dev eth0"));
  }
  // Asked again (a retry): the same, nothing new made.
  absl::StatusOr<v1::NetworkInterface> again = Allocate(*core, "c1", ns);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), iface->SerializeAsString());
  EXPECT_EQ(access(tmp_.Join("network/endpoints/c1.json").c_str(), F_OK), 0);

  // A requested address and MAC.
  v1::AllocateInterfaceRequest request;
  request.set_container_id("c2");
  request.set_netns_path(Netns("ns2"));
  request.set_requested_ip("172.18.5.5");
  request.set_mac_address("02:00:00:00:00:01");
  absl::StatusOr<v1::NetworkInterface> chosen =
      core->AllocateInterface(request);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(chosen->ip(), "172.18.5.5");
  EXPECT_EQ(chosen->mac_address(), "02:00:00:00:00:01");
  request.set_container_id("c3");
  request.set_netns_path(Netns("ns3"));
  request.set_mac_address("");
  EXPECT_TRUE(absl::IsAlreadyExists(core->AllocateInterface(request).status()));
}

TEST_F(NetworkCoreTest, RefusesBadRequests) {
  auto core = NewCore();
  ASSERT_TRUE(core->InitDriver().ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      Allocate(*core, "../escape", Netns("ns1")).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Allocate(*core, "c1", "").status()));
  EXPECT_TRUE(absl::IsNotFound(
      Allocate(*core, "c1", tmp_.Join("no-such-netns")).status()));
  // berth-netd's own namespace is never a container's.
  absl::Status own = Allocate(*core, "c1", "/proc/thread-self/ns/net").status();
  EXPECT_TRUE(absl::IsInvalidArgument(own)) << own;
  v1::AllocateInterfaceRequest request;
  request.set_container_id("c1");
  request.set_netns_path(Netns("ns1"));
  request.set_mac_address("02:42");
  EXPECT_TRUE(
      absl::IsInvalidArgument(core->AllocateInterface(request).status()));
  // Nothing was left allocated by the failures.
  for (const char* ip : {"172.18.0.2", "172.18.0.3"}) {
    EXPECT_NE(
        access(tmp_.Join(std::string("network/ipam/") + ip).c_str(), F_OK), 0)
        << ip;
  }
  EXPECT_TRUE(Allocate(*core, "c1", Netns("ns1")).ok());
}

TEST_F(NetworkCoreTest, AFailureInsideTheContainerUndoesEverything) {
  auto core = NewCore();
  ASSERT_TRUE(core->InitDriver().ok());
  {
    absl::MutexLock lock(&world_.mu);
    world_.failing.insert("AddDefaultRoute");
  }
  absl::Status failed = Allocate(*core, "c1", Netns("ns1")).status();
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(failed.message(), HasSubstr("set up eth0 in"));
  EXPECT_FALSE(HasLink("host", HostVethName("c1")));
  EXPECT_NE(access(tmp_.Join("network/endpoints/c1.json").c_str(), F_OK), 0);
  {
    absl::MutexLock lock(&world_.mu);
    world_.failing.clear();
  }
  // The address was given back.
  EXPECT_EQ(Allocate(*core, "c2", Netns("ns2"))->ip(), "172.18.0.3");
}

TEST_F(NetworkCoreTest, PublishesPortsLikeDocker) {
  auto core = NewCore();
  ASSERT_TRUE(core->InitDriver().ok());
  EXPECT_TRUE(
      absl::IsFailedPrecondition(Publish(*core, "c1", 8080, 80).status()));
  ASSERT_TRUE(Allocate(*core, "c1", Netns("ns1")).ok());
  ASSERT_TRUE(Allocate(*core, "c2", Netns("ns2")).ok());

  absl::StatusOr<v1::PortBinding> web = Publish(*core, "c1", 8080, 80);
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_EQ(web->host_ip(), "0.0.0.0");
  EXPECT_EQ(web->host_port(), 8080);
  EXPECT_EQ(web->protocol(), "tcp");
  // A retry is the same binding.
  EXPECT_EQ(Publish(*core, "c1", 8080, 80)->host_port(), 8080);
  ASSERT_EQ(firewall_.ports.size(), 1u);
  EXPECT_EQ(firewall_.ports[0].container_ip, Ip("172.18.0.2"));
  EXPECT_EQ(proxy_.running.size(), 1u);

  absl::Status conflict = Publish(*core, "c2", 8080, 80).status();
  EXPECT_TRUE(absl::IsAlreadyExists(conflict));
  EXPECT_EQ(conflict.message(),
            "Bind for 0.0.0.0:8080 failed: port is already allocated");
  // UDP is another port space.
  EXPECT_TRUE(Publish(*core, "c2", 8080, 53, "udp").ok());

  // Ephemeral, skipping a port another program holds.
  proxy_.taken = {49153};
  absl::StatusOr<v1::PortBinding> ephemeral = Publish(*core, "c2", 0, 80);
  ASSERT_TRUE(ephemeral.ok()) << ephemeral.status();
  EXPECT_EQ(ephemeral->host_port(), 49154);
  // An explicit port another program holds: the proxy's error.
  proxy_.taken = {9000};
  absl::Status held = Publish(*core, "c2", 9000, 80).status();
  EXPECT_TRUE(absl::IsAlreadyExists(held));
  EXPECT_THAT(held.message(), HasSubstr("address already in use"));

  EXPECT_TRUE(
      absl::IsInvalidArgument(Publish(*core, "c2", 70000, 80).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Publish(*core, "c2", 1, 0).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(Publish(*core, "c2", 1, 1, "sctp").status()));

  v1::ReleasePortRequest release;
  release.set_container_id("c1");
  release.set_host_port(8080);
  ASSERT_TRUE(core->ReleasePort(release).ok());
  ASSERT_TRUE(core->ReleasePort(release).ok());
  EXPECT_TRUE(Publish(*core, "c2", 8080, 80).ok());
}

TEST_F(NetworkCoreTest, PortsHonourTheDefaultHostIp) {
  NetworkOptions options;
  options.default_ip = "127.0.0.1";
  auto core = NewCore(options);
  ASSERT_TRUE(core->InitDriver().ok());
  ASSERT_TRUE(Allocate(*core, "c1", Netns("ns1")).ok());
  EXPECT_EQ(Publish(*core, "c1", 8080, 80)->host_ip(), "127.0.0.1");
}

TEST_F(NetworkCoreTest, LinksAndTheirRelease) {
  NetworkOptions options;
  options.icc = false;
  auto core = NewCore(options);
  ASSERT_TRUE(core->InitDriver().ok());
  EXPECT_FALSE(firewall_.policy.icc);
  EXPECT_EQ(sysctl_.values["net.bridge.bridge-nf-call-iptables"], "1");
  ASSERT_TRUE(Allocate(*core, "web", Netns("ns1")).ok());  // .2
  ASSERT_TRUE(Allocate(*core, "db", Netns("ns2")).ok());   // .3
  v1::LinkRequest link;
  link.set_parent_ip("172.18.0.2");
  link.set_child_ip("172.18.0.3");
  link.add_ports("5432/tcp");
  link.add_ports("53/udp");
  ASSERT_TRUE(core->Link(link).ok());
  ASSERT_TRUE(core->Link(link).ok());  // idempotent
  ASSERT_EQ(firewall_.links.size(), 2u);
  EXPECT_EQ(firewall_.links[1].protocol, Protocol::kUdp);

  link.set_child_ip("172.18.0.99");
  EXPECT_TRUE(absl::IsNotFound(core->Link(link)));
  link.set_child_ip("172.18.0.3");
  link.clear_ports();
  link.add_ports("http");
  EXPECT_TRUE(absl::IsInvalidArgument(core->Link(link)));

  // The child goes: the links to it go with it.
  ASSERT_TRUE(core->ReleaseInterface("db").ok());
  EXPECT_TRUE(firewall_.links.empty());
  EXPECT_FALSE(HasLink("host", HostVethName("db")));
}

TEST_F(NetworkCoreTest, ReleaseLeavesNothingBehind) {
  auto core = NewCore();
  ASSERT_TRUE(core->InitDriver().ok());
  std::string ns = Netns("ns1");
  ASSERT_TRUE(Allocate(*core, "c1", ns).ok());
  ASSERT_TRUE(Allocate(*core, "c2", Netns("ns2")).ok());
  ASSERT_TRUE(Publish(*core, "c1", 8080, 80).ok());
  ASSERT_TRUE(Publish(*core, "c1", 0, 53, "udp").ok());
  v1::LinkRequest link;
  link.set_parent_ip("172.18.0.2");
  link.set_child_ip("172.18.0.3");
  link.add_ports("80");
  ASSERT_TRUE(core->Link(link).ok());

  ASSERT_TRUE(core->ReleaseInterface("c1").ok());
  EXPECT_TRUE(firewall_.ports.empty());
  EXPECT_TRUE(firewall_.links.empty());
  EXPECT_TRUE(proxy_.running.empty());
  EXPECT_FALSE(HasLink("host", HostVethName("c1")));
  EXPECT_FALSE(HasLink(ns, "eth0"));
  EXPECT_NE(access(tmp_.Join("network/endpoints/c1.json").c_str(), F_OK), 0);
  EXPECT_NE(access(tmp_.Join("network/ipam/172.18.0.2").c_str(), F_OK), 0);
  ASSERT_TRUE(core->ReleaseInterface("c1").ok());  // idempotent
  // Its port is free again.
  EXPECT_TRUE(Publish(*core, "c2", 8080, 80).ok());

  // A firewall failure keeps the endpoint, for another try.
  firewall_.fail = true;
  EXPECT_FALSE(core->ReleaseInterface("c2").ok());
  EXPECT_EQ(access(tmp_.Join("network/endpoints/c2.json").c_str(), F_OK), 0);
  firewall_.fail = false;
  ASSERT_TRUE(core->ReleaseInterface("c2").ok());
  EXPECT_NE(access(tmp_.Join("network/endpoints/c2.json").c_str(), F_OK), 0);
}

TEST_F(NetworkCoreTest, ARestartKeepsEverythingAndDropsTheDead) {
  {
    auto core = NewCore();
    ASSERT_TRUE(core->InitDriver().ok());
    ASSERT_TRUE(Allocate(*core, "a", Netns("nsa")).ok());     // .2
    ASSERT_TRUE(Allocate(*core, "b", Netns("nsb")).ok());     // .3
    ASSERT_TRUE(Allocate(*core, "dead", Netns("nsd")).ok());  // .4
    ASSERT_TRUE(Publish(*core, "b", 8081, 80).ok());
    ASSERT_TRUE(Publish(*core, "a", 8080, 80).ok());
    v1::LinkRequest link;
    link.set_parent_ip("172.18.0.2");
    link.set_child_ip("172.18.0.3");
    link.add_ports("80");
    ASSERT_TRUE(core->Link(link).ok());
  }
  // While berth-netd is down, "dead"'s namespace goes, and its veth pair
  // with it.
  ASSERT_TRUE(host_.DeleteLink(HostVethName("dead")).ok());
  std::vector<PortMapping> before = firewall_.ports;
  proxy_.running.clear();
  firewall_ = FakeFirewall();

  auto core = NewCore();
  ASSERT_TRUE(core->InitDriver().ok());
  // Rules in the order they were added; the proxies bound again.
  ASSERT_EQ(firewall_.ports.size(), 2u);
  EXPECT_EQ(firewall_.ports[0].host_port, 8081);
  EXPECT_EQ(firewall_.ports[1].host_port, 8080);
  EXPECT_EQ(firewall_.ports, before);
  EXPECT_EQ(firewall_.links.size(), 1u);
  EXPECT_EQ(proxy_.running.size(), 2u);
  // The same answers for the living...
  EXPECT_EQ(Allocate(*core, "a", Netns("nsa"))->ip(), "172.18.0.2");
  EXPECT_TRUE(absl::IsAlreadyExists(Publish(*core, "b", 8080, 80).status()));
  // ...the dead's address is free, and new ones continue after the rest.
  EXPECT_NE(access(tmp_.Join("network/endpoints/dead.json").c_str(), F_OK), 0);
  EXPECT_EQ(Allocate(*core, "c", Netns("nsc"))->ip(), "172.18.0.5");
}

TEST_F(NetworkCoreTest, ARestartedContainerKeepsItsAddressAndPorts) {
  auto core = NewCore();
  ASSERT_TRUE(core->InitDriver().ok());
  absl::StatusOr<v1::NetworkInterface> first =
      Allocate(*core, "c1", Netns("run1"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(Publish(*core, "c1", 8080, 80).ok());
  // Its first namespace is gone; it comes back in a new one.
  ASSERT_TRUE(host_.DeleteLink(first->host_interface()).ok());
  absl::StatusOr<v1::NetworkInterface> second =
      Allocate(*core, "c1", Netns("run2"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->ip(), first->ip());
  EXPECT_EQ(second->mac_address(), first->mac_address());
  EXPECT_TRUE(HasLink(tmp_.Join("run2"), "eth0"));
  EXPECT_EQ(firewall_.ports.size(), 1u);
}

}  // namespace
}  // namespace berth::netd
