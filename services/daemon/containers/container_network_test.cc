#include "services/daemon/containers/container_network.h"

#include <fstream>

#include "gmock/gmock.h"
#include "grpcpp/server.h"
#include "gtest/gtest.h"
#include "lib/rpc/channels.h"
#include "lib/rpc/unix_server.h"
#include "lib/testing/temp_dir.h"
#include "services/netd/fakes.h"
#include "services/netd/network_service.h"

namespace berth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

v1::ContainerDetail Container(const std::string& id) {
  v1::ContainerDetail detail;
  detail.set_id(id);
  detail.set_name("/" + id);
  detail.mutable_host_config()->set_network_mode(kBridgeNetwork);
  return detail;
}

void Bind(v1::ContainerDetail& detail, const std::string& key,
          const std::string& bindings) {
  (*detail.mutable_host_config()->mutable_port_bindings_json())[key] = bindings;
}

TEST(PortsToPublishTest, BindingsAndPublishAllInPortOrder) {
  v1::ContainerDetail detail = Container("c");
  Bind(detail, "80/tcp", R"([{"HostIp":"127.0.0.1","HostPort":"8080"}])");
  Bind(detail, "53/udp", R"([{"HostIp":"","HostPort":""}])");
  Bind(detail, "9000", R"([{"HostPort":"9000-9005"}])");
  detail.mutable_config()->add_exposed_ports("80/tcp");
  detail.mutable_config()->add_exposed_ports("443/tcp");
  detail.mutable_host_config()->set_publish_all_ports(true);
  absl::StatusOr<std::vector<PortRequest>> ports = PortsToPublish(detail);
  ASSERT_TRUE(ports.ok()) << ports.status();
  ASSERT_EQ(ports->size(), 4u);
  EXPECT_EQ((*ports)[0].key, "53/udp");
  EXPECT_EQ((*ports)[0].host_port_first, 0);
  EXPECT_EQ((*ports)[1].key, "80/tcp");
  EXPECT_EQ((*ports)[1].host_ip, "127.0.0.1");
  EXPECT_EQ((*ports)[1].host_port_first, 8080);
  EXPECT_EQ((*ports)[1].host_port_last, 8080);
  // -P adds only the exposed port without a binding, on an ephemeral port.
  EXPECT_EQ((*ports)[2].key, "443/tcp");
  EXPECT_EQ((*ports)[2].host_port_first, 0);
  EXPECT_EQ((*ports)[3].key, "9000/tcp");
  EXPECT_EQ((*ports)[3].host_port_first, 9000);
  EXPECT_EQ((*ports)[3].host_port_last, 9005);
}

TEST(PortsToPublishTest, RefusesMalformedBindings) {
  for (const auto& [key, bindings] :
       std::vector<std::pair<std::string, std::string>>{
           {"80/sctp", "[{}]"},
           {"0/tcp", "[{}]"},
           {"70000", "[{}]"},
           {"80", R"([{"HostPort":"x"}])"},
           {"80", R"([{"HostPort":"90-80"}])"},
           {"80", R"({"HostPort":"80"})"},
       }) {
    v1::ContainerDetail detail = Container("c");
    Bind(detail, key, bindings);
    EXPECT_TRUE(absl::IsInvalidArgument(PortsToPublish(detail).status()))
        << key << " " << bindings;
  }
}

TEST(LinkTest, NormalizesAndParsesDockersRecordedForm) {
  EXPECT_EQ(*NormalizeLink("db:data", "/web"), "/db:/web/data");
  EXPECT_EQ(*NormalizeLink("db", "/web"), "/db:/web/db");
  EXPECT_FALSE(NormalizeLink("db:", "/web").ok());
  EXPECT_FALSE(NormalizeLink(":x", "/web").ok());
  EXPECT_FALSE(NormalizeLink("a:b:c", "/web").ok());
  absl::StatusOr<LinkSpec> spec = ParseLink("/db:/web/data");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->child, "/db");
  EXPECT_EQ(spec->alias, "data");
}

TEST(LinkTest, EnvAndHostsLineAsDockerWritesThem) {
  v1::ContainerDetail child = Container("db");
  child.mutable_config()->set_hostname("a1b2c3");
  child.mutable_config()->add_exposed_ports("6379/tcp");
  child.mutable_config()->add_exposed_ports("53/udp");
  child.mutable_config()->add_env("PATH=/bin");
  child.mutable_config()->add_env("MODE=fast=yes");
  LinkedChild link{"my-db", &child, "10.1.0.5"};
  EXPECT_THAT(
      LinkEnv("/web", link),
      ElementsAre("MY_DB_NAME=/web/my-db", "MY_DB_PORT=udp://10.1.0.5:53",
                  "MY_DB_PORT_53_UDP=udp://10.1.0.5:53",
                  "MY_DB_PORT_53_UDP_ADDR=10.1.0.5",
                  "MY_DB_PORT_53_UDP_PORT=53", "MY_DB_PORT_53_UDP_PROTO=udp",
                  "MY_DB_PORT_6379_TCP=tcp://10.1.0.5:6379",
                  "MY_DB_PORT_6379_TCP_ADDR=10.1.0.5",
                  "MY_DB_PORT_6379_TCP_PORT=6379",
                  "MY_DB_PORT_6379_TCP_PROTO=tcp", "MY_DB_ENV_MODE=fast=yes"));
  EXPECT_EQ(LinkHostsLine(link), "10.1.0.5\tmy-db a1b2c3 db\n");
}

// ContainerNetwork against berth-netd's real service, over a real channel,
// on fake netlink and iptables.
class ContainerNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    netd::NetworkOptions options;
    options.bip = "10.45.0.1/16";
    options.state_dir = tmp_.Join("network");
    netd::NetworkManagerDeps deps;
    deps.netlink = &netlink_;
    deps.firewall = &firewall_;
    deps.make_firewall = [](const std::string&) {
      return std::make_unique<netd::testing::FakeFirewall>();
    };
    deps.proxy = &proxy_;
    deps.sysctl = &sysctl_;
    deps.ports = &ports_;
    core_ = std::make_unique<netd::NetworkManager>(options, deps);
    ASSERT_TRUE(core_->InitDriver().ok());
    service_ = std::make_unique<netd::NetworkServiceImpl>(core_.get());
    std::string socket = tmp_.Join("netd.sock");
    absl::StatusOr<std::unique_ptr<grpc::Server>> server =
        StartUnixServer(socket, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::NetworkService::NewStub(MakeChannel(UnixTarget(socket)));
    network_ = std::make_unique<ContainerNetwork>(stub_.get());
  }

  std::string Netns(const std::string& name) {
    std::string path = tmp_.Join(name);
    std::ofstream(path) << "";
    return path;
  }

  berth::testing::TempDir tmp_;
  netd::testing::FakeNetworkWorld world_;
  netd::testing::FakeNetlink netlink_{&world_, "host"};
  netd::testing::FakeFirewall firewall_;
  netd::testing::FakeProxy proxy_;
  netd::testing::FakeSysctl sysctl_;
  netd::PortAllocator ports_{netd::PortRange{41000, 41010}};
  std::unique_ptr<netd::NetworkManager> core_;
  std::unique_ptr<netd::NetworkServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::NetworkService::Stub> stub_;
  std::unique_ptr<ContainerNetwork> network_;
};

TEST_F(ContainerNetworkTest, ConnectGivesAddressPortsAndLinks) {
  v1::ContainerDetail db = Container("db");
  db.mutable_config()->add_exposed_ports("5432/tcp");
  absl::StatusOr<v1::NetworkSettings> db_settings =
      network_->Connect(db, Netns("ns-db"), {});
  ASSERT_TRUE(db_settings.ok()) << db_settings.status();
  const v1::EndpointSettings& db_endpoint =
      db_settings->networks().at(kBridgeNetwork);
  EXPECT_EQ(db_endpoint.ip_address(), "10.45.0.2");
  EXPECT_EQ(db_endpoint.gateway(), "10.45.0.1");
  EXPECT_EQ(db_endpoint.ip_prefix_len(), 16);
  EXPECT_EQ(db_endpoint.mac_address(), "02:42:0a:2d:00:02");
  EXPECT_EQ(db_settings->bridge(), "berth0");

  v1::ContainerDetail web = Container("web");
  Bind(web, "80/tcp", R"([{"HostPort":""}])");
  Bind(web, "81/tcp", R"([{"HostIp":"127.0.0.1","HostPort":"8081"}])");
  absl::StatusOr<v1::NetworkSettings> web_settings = network_->Connect(
      web, Netns("ns-web"), {{"data", &db, db_endpoint.ip_address()}});
  ASSERT_TRUE(web_settings.ok()) << web_settings.status();
  ASSERT_EQ(web_settings->ports_size(), 2);
  EXPECT_EQ(web_settings->ports(0).container_port(), "80/tcp");
  EXPECT_EQ(web_settings->ports(0).host_port(), 41000);
  EXPECT_EQ(web_settings->ports(0).host_ip(), "0.0.0.0");
  EXPECT_EQ(web_settings->ports(1).host_port(), 8081);
  EXPECT_EQ(web_settings->ports(1).host_ip(), "127.0.0.1");
  EXPECT_THAT(web_settings->networks().at(kBridgeNetwork).links(),
              ElementsAre("db:data"));
  EXPECT_EQ(firewall_.ports.size(), 2u);
  ASSERT_EQ(firewall_.links.size(), 1u);
  EXPECT_EQ(firewall_.links[0].port, 5432);

  ASSERT_TRUE(network_->Disconnect("web").ok());
  EXPECT_THAT(firewall_.ports, IsEmpty());
  EXPECT_THAT(firewall_.links, IsEmpty());
  EXPECT_TRUE(network_->Disconnect("web").ok());
}

TEST_F(ContainerNetworkTest, AFailedConnectLeavesNothingAllocated) {
  v1::ContainerDetail first = Container("first");
  Bind(first, "80/tcp", R"([{"HostPort":"8080"}])");
  ASSERT_TRUE(network_->Connect(first, Netns("ns-1"), {}).ok());

  v1::ContainerDetail second = Container("second");
  Bind(second, "80/tcp", R"([{"HostPort":"8090"}])");
  Bind(second, "81/tcp", R"([{"HostPort":"8080"}])");
  absl::StatusOr<v1::NetworkSettings> settings =
      network_->Connect(second, Netns("ns-2"), {});
  EXPECT_TRUE(absl::IsAlreadyExists(settings.status()));
  EXPECT_THAT(settings.status().message(),
              HasSubstr("port is already allocated"));
  // Its address and its first port went back.
  EXPECT_EQ(firewall_.ports.size(), 1u);
  ASSERT_EQ(proxy_.running.size(), 1u);
  EXPECT_EQ(proxy_.running[0].host_port, 8080);

  // A range skips the taken port.
  v1::ContainerDetail third = Container("third");
  Bind(third, "80/tcp", R"([{"HostPort":"8080-8081"}])");
  settings = network_->Connect(third, Netns("ns-3"), {});
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->ports(0).host_port(), 8081);
  // The failed container's address was freed: the next is .4, not .5.
  EXPECT_EQ(settings->networks().at(kBridgeNetwork).ip_address(), "10.45.0.4");
}

TEST(ContainerNetworkWithoutNetdTest, LoopbackOnlyAndNoPorts) {
  ContainerNetwork network(nullptr);
  v1::ContainerDetail plain = Container("plain");
  absl::StatusOr<v1::NetworkSettings> settings =
      network.Connect(plain, "/proc/self/ns/net", {});
  ASSERT_TRUE(settings.ok());
  EXPECT_TRUE(settings->networks().at(kBridgeNetwork).ip_address().empty());
  v1::ContainerDetail published = Container("published");
  Bind(published, "80/tcp", "[{}]");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      network.Connect(published, "/proc/self/ns/net", {}).status()));
  EXPECT_TRUE(network.Disconnect("plain").ok());
}

}  // namespace
}  // namespace berth
