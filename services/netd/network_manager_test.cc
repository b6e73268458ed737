#include "services/netd/network_manager.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/netd/fakes.h"

namespace berth::netd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class NetworkManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<NetworkManager> Start() {
    NetworkOptions options;
    options.bip = "10.46.0.1/16";
    options.state_dir = tmp_.Join("network");
    NetworkManagerDeps deps;
    deps.netlink = &netlink_;
    deps.firewall = &firewall_;
    deps.make_firewall = [this](const std::string& suffix) {
      suffixes_.push_back(suffix);
      auto firewall = std::make_unique<testing::FakeFirewall>();
      user_firewalls_.push_back(firewall.get());
      return firewall;
    };
    deps.proxy = &proxy_;
    deps.sysctl = &sysctl_;
    deps.ports = &ports_;
    auto manager = std::make_unique<NetworkManager>(options, deps);
    EXPECT_TRUE(manager->InitDriver().ok());
    return manager;
  }

  std::string Netns(const std::string& name) {
    std::string path = tmp_.Join(name);
    std::ofstream(path) << "";
    return path;
  }

  std::vector<std::string> Names(NetworkManager& manager,
                                 v1::ListNetworksRequest request = {}) {
    std::vector<std::string> names;
    absl::StatusOr<v1::ListNetworksReply> reply = manager.List(request);
    EXPECT_TRUE(reply.ok()) << reply.status();
    for (const v1::Network& net : reply->networks()) {
      names.push_back(net.name());
    }
    return names;
  }

  berth::testing::TempDir tmp_;
  testing::FakeNetworkWorld world_;
  testing::FakeNetlink netlink_{&world_, "host"};
  testing::FakeFirewall firewall_;
  std::vector<testing::FakeFirewall*> user_firewalls_;
  std::vector<std::string> suffixes_;
  testing::FakeProxy proxy_;
  testing::FakeSysctl sysctl_;
  PortAllocator ports_{PortRange{42000, 42010}};
};

v1::NetworkConfig Config(const std::string& name,
                         const std::string& subnet = "") {
  v1::NetworkConfig config;
  config.set_name(name);
  config.set_subnet(subnet);
  return config;
}

TEST_F(NetworkManagerTest, BuiltinsAreListedAndStay) {
  auto manager = Start();
  EXPECT_THAT(Names(*manager), ElementsAre("bridge", "host", "none"));
  absl::StatusOr<v1::Network> bridge = manager->Inspect("bridge");
  ASSERT_TRUE(bridge.ok());
  EXPECT_EQ(bridge->subnet(), "10.46.0.0/16");
  EXPECT_EQ(bridge->gateway(), "10.46.0.1");
  EXPECT_EQ(bridge->driver(), "bridge");
  EXPECT_EQ(manager->Inspect("none")->driver(), "null");
  EXPECT_EQ(manager->Inspect(bridge->id().substr(0, 6))->name(), "bridge");
  EXPECT_TRUE(absl::IsPermissionDenied(manager->Remove("bridge")));
  EXPECT_TRUE(
      absl::IsPermissionDenied(manager->Create(Config("host")).status()));
  EXPECT_TRUE(absl::IsNotFound(manager->Inspect("nosuch").status()));
  // The same IDs after a restart.
  auto again = Start();
  EXPECT_EQ(again->Inspect("bridge")->id(), bridge->id());
}

TEST_F(NetworkManagerTest, UserNetworkLifecycle) {
  auto manager = Start();
  v1::NetworkConfig config = Config("app", "10.50.0.0/24");
  config.set_gateway("10.50.0.254");
  (*config.mutable_labels())["tier"] = "web";
  absl::StatusOr<v1::Network> app = manager->Create(config);
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->subnet(), "10.50.0.0/24");
  EXPECT_EQ(app->gateway(), "10.50.0.254");
  EXPECT_EQ(app->bridge(), "br-" + app->id().substr(0, 12));
  EXPECT_THAT(suffixes_, ElementsAre(app->id().substr(0, 8)));
  ASSERT_EQ(user_firewalls_.size(), 1u);
  EXPECT_EQ(user_firewalls_[0]->policy.bridge, app->bridge());
  EXPECT_THAT(user_firewalls_[0]->policy.isolated_from,
              ElementsAre("br+", "berth0"));
  EXPECT_THAT(firewall_.policy.isolated_from, ElementsAre("br+"));

  EXPECT_TRUE(absl::IsAlreadyExists(manager->Create(Config("app")).status()));
  absl::Status overlap =
      manager->Create(Config("other", "10.50.0.128/25")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(overlap));
  EXPECT_THAT(overlap.message(), HasSubstr("overlaps"));
  v1::NetworkConfig bad_gateway = Config("bad", "10.60.0.0/24");
  bad_gateway.set_gateway("10.61.0.1");
  EXPECT_TRUE(absl::IsInvalidArgument(manager->Create(bad_gateway).status()));
  // No subnet: a free default pool that overlaps nothing in use.
  absl::StatusOr<v1::Network> picked = manager->Create(Config("picked"));
  ASSERT_TRUE(picked.ok()) << picked.status();
  EXPECT_EQ(picked->subnet(), "172.17.0.0/16");

  // A container on it: its own veth, eth1 with no default route.
  v1::AllocateInterfaceRequest request;
  request.set_container_id("c1");
  request.set_container_name("/web");
  request.set_netns_path(Netns("ns1"));
  request.set_network("app");
  request.set_interface_name("eth1");
  absl::StatusOr<v1::NetworkInterface> iface =
      manager->AllocateInterface(request);
  ASSERT_TRUE(iface.ok()) << iface.status();
  EXPECT_EQ(iface->ip(), "10.50.0.1");
  EXPECT_EQ(iface->gateway(), "10.50.0.254");
  EXPECT_EQ(iface->interface_name(), "eth1");
  EXPECT_EQ(iface->network_name(), "app");
  EXPECT_EQ(iface->host_interface(), HostVethName("c1", app->id()));
  // Its ports go on that network.
  v1::AllocatePortRequest port;
  port.set_container_id("c1");
  port.set_container_port(80);
  ASSERT_TRUE(manager->AllocatePort(port).ok());
  ASSERT_EQ(user_firewalls_[0]->ports.size(), 1u);
  EXPECT_EQ(user_firewalls_[0]->ports[0].container_ip.ToString(), "10.50.0.1");

  absl::StatusOr<v1::Network> inspected = manager->Inspect("app");
  ASSERT_EQ(inspected->endpoints_size(), 1);
  EXPECT_EQ(inspected->endpoints(0).container_name(), "/web");
  EXPECT_EQ(inspected->endpoints(0).ipv4_address(), "10.50.0.1/24");
  v1::ListNetworksRequest labelled;
  (*labelled.mutable_filters())["label"].add_values("tier=web");
  EXPECT_THAT(Names(*manager, labelled), ElementsAre("app"));

  // In use: 403, and nothing changes.
  absl::Status in_use = manager->Remove("app");
  EXPECT_TRUE(absl::IsPermissionDenied(in_use));
  EXPECT_THAT(in_use.message(), HasSubstr("has active endpoints"));
  // Prune takes only the unused one.
  absl::StatusOr<v1::PruneNetworksReply> pruned = manager->Prune({});
  ASSERT_TRUE(pruned.ok());
  EXPECT_THAT(pruned->deleted(), ElementsAre("picked"));

  // A restart brings the network and its endpoint back.
  auto restarted = Start();
  EXPECT_EQ(restarted->Inspect("app")->endpoints_size(), 1);

  v1::ReleaseInterfaceRequest release;
  release.set_container_id("c1");
  ASSERT_TRUE(restarted->ReleaseInterface(release).ok());
  ASSERT_TRUE(restarted->Remove("app").ok());
  EXPECT_TRUE(user_firewalls_.back()->removed);
  EXPECT_THAT(Names(*restarted), ElementsAre("bridge", "host", "none"));
  EXPECT_FALSE(
      std::filesystem::exists(tmp_.Join("network/networks/" + app->id())));
}

TEST_F(NetworkManagerTest, HostAndNoneTakeNoInterfaces) {
  auto manager = Start();
  v1::AllocateInterfaceRequest request;
  request.set_container_id("c1");
  request.set_netns_path(Netns("ns1"));
  request.set_network("host");
  EXPECT_TRUE(
      absl::IsPermissionDenied(manager->AllocateInterface(request).status()));
}

}  // namespace
}  // namespace berth::netd
