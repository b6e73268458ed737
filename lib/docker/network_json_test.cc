#include "lib/docker/network_json.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

using nlohmann::json;

absl::StatusCode CreateError(const char* body) {
  return NetworkConfigFromJson(json::parse(body)).status().code();
}

TEST(NetworkJsonTest, CreateBodyAsTheCliSendsIt) {
  absl::StatusOr<v1::NetworkConfig> config = NetworkConfigFromJson(json::parse(
      R"({"Name": "web", "CheckDuplicate": true, "Driver": "bridge",
          "Scope": "", "EnableIPv6": false, "Internal": true,
          "Attachable": true, "Ingress": false, "ConfigOnly": false,
          "ConfigFrom": null,
          "IPAM": {"Driver": "default", "Options": {},
                   "Config": [{"Subnet": "10.5.0.0/16",
                               "Gateway": "10.5.0.254",
                               "IPRange": "10.5.1.0/24"}]},
          "Options": {"com.docker.network.bridge.name": "br-web"},
          "Labels": {"tier": "front"}})"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->name(), "web");
  EXPECT_EQ(config->driver(), "bridge");
  EXPECT_TRUE(config->internal());
  EXPECT_TRUE(config->attachable());
  EXPECT_EQ(config->subnet(), "10.5.0.0/16");
  EXPECT_EQ(config->gateway(), "10.5.0.254");
  EXPECT_EQ(config->ip_range(), "10.5.1.0/24");
  EXPECT_EQ(config->options().at("com.docker.network.bridge.name"), "br-web");
  EXPECT_EQ(config->labels().at("tier"), "front");
}

TEST(NetworkJsonTest, CreateWithOnlyANameTakesTheDefaults) {
  absl::StatusOr<v1::NetworkConfig> config =
      NetworkConfigFromJson(json::parse(R"({"Name": "n", "IPAM": null})"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->driver(), "");
  EXPECT_EQ(config->subnet(), "");
  EXPECT_FALSE(config->internal());
  EXPECT_TRUE(config->labels().empty());
}

TEST(NetworkJsonTest, CreateRefusesWhatDockerRefuses) {
  EXPECT_EQ(NetworkConfigFromJson(json::array()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NetworkConfigFromJson(json(nullptr)).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status no_name =
      NetworkConfigFromJson(json::parse(R"({"Name": "  "})")).status();
  EXPECT_EQ(no_name.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(no_name.message(), "invalid name: name is empty");
  absl::Status driver =
      NetworkConfigFromJson(
          json::parse(R"({"Name": "n", "Driver": "overlay"})"))
          .status();
  EXPECT_EQ(driver.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(driver.message(), "plugin \"overlay\" not found");
  absl::Status host =
      NetworkConfigFromJson(json::parse(R"({"Name": "n", "Driver": "host"})"))
          .status();
  EXPECT_EQ(host.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(host.message(), "only one instance of \"host\" network is allowed");
  EXPECT_EQ(CreateError(R"({"Name": "n", "EnableIPv6": true})"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateError(R"({"Name": "n", "Internal": "yes"})"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateError(R"({"Name": "n", "Labels": {"a": 1}})"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateError(R"({"Name": "n", "Scope": "swarm"})"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateError(R"({"Name": "n", "IPAM": {"Driver": "x"}})"),
            absl::StatusCode::kNotFound);
}

TEST(NetworkJsonTest, CreateTakesOneIpv4PoolOnly) {
  absl::Status two = NetworkConfigFromJson(json::parse(R"({"Name": "n",
      "IPAM": {"Config": [{"Subnet": "10.1.0.0/16"},
                          {"Subnet": "10.2.0.0/16"}]}})"))
                         .status();
  EXPECT_EQ(two.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateError(R"({"Name": "n",
      "IPAM": {"Config": [{"Subnet": "fd00::/64"}]}})"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateError(R"({"Name": "n",
      "IPAM": {"Config": [{"Gateway": "10.1.0.1"}]}})"),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateError(R"({"Name": "n", "IPAM": {"Config": {}}})"),
            absl::StatusCode::kInvalidArgument);
  absl::Status bad_type = NetworkConfigFromJson(json::parse(R"({"Name": "n",
      "IPAM": {"Config": [{"Subnet": 10}]}})"))
                              .status();
  EXPECT_EQ(bad_type.message(),
            "invalid network create body: IPAM.Config[0].Subnet must be a "
            "string");
}

v1::Network UserNetwork() {
  v1::Network network;
  network.set_id(std::string(64, 'a'));
  network.set_name("web");
  network.set_driver("bridge");
  network.set_created("2024-05-01T10:00:00.123456789Z");
  network.set_internal(true);
  network.set_subnet("172.18.0.0/16");
  network.set_gateway("172.18.0.1");
  (*network.mutable_labels())["tier"] = "front";
  (*network.mutable_options())["com.docker.network.bridge.name"] = "br-web";
  v1::NetworkEndpoint* endpoint = network.add_endpoints();
  endpoint->set_container_id(std::string(64, 'c'));
  endpoint->set_container_name("/app");
  endpoint->set_endpoint_id(std::string(64, 'e'));
  endpoint->set_mac_address("02:42:ac:12:00:02");
  endpoint->set_ipv4_address("172.18.0.2/16");
  return network;
}

TEST(NetworkJsonTest, InspectHasDockersShape) {
  json out = NetworkJson(UserNetwork());
  EXPECT_EQ(out["Name"], "web");
  EXPECT_EQ(out["Id"], std::string(64, 'a'));
  EXPECT_EQ(out["Created"], "2024-05-01T10:00:00.123456789Z");
  EXPECT_EQ(out["Scope"], "local");
  EXPECT_EQ(out["Driver"], "bridge");
  EXPECT_EQ(out["EnableIPv4"], true);
  EXPECT_EQ(out["EnableIPv6"], false);
  EXPECT_EQ(out["Internal"], true);
  EXPECT_EQ(out["Attachable"], false);
  EXPECT_EQ(out["Ingress"], false);
  EXPECT_EQ(out["ConfigOnly"], false);
  EXPECT_EQ(out["ConfigFrom"], json::parse(R"({"Network": ""})"));
  EXPECT_EQ(out["IPAM"], json::parse(R"({"Driver": "default", "Options": {},
      "Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]})"));
  EXPECT_EQ(
      out["Containers"][std::string(64, 'c')],
      json::parse(R"({"Name": "app", "EndpointID": ")" + std::string(64, 'e') +
                  R"(", "MacAddress": "02:42:ac:12:00:02",
                        "IPv4Address": "172.18.0.2/16",
                        "IPv6Address": ""})"));
  EXPECT_EQ(out["Options"]["com.docker.network.bridge.name"], "br-web");
  EXPECT_EQ(out["Labels"]["tier"], "front");
}

TEST(NetworkJsonTest, BuiltinNetworksWithoutAddresses) {
  v1::Network none;
  none.set_name("none");
  none.set_driver("null");
  none.set_builtin(true);
  json out = NetworkJson(none);
  EXPECT_EQ(out["Created"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(out["EnableIPv4"], false);
  EXPECT_TRUE(out["IPAM"]["Options"].is_null());
  EXPECT_EQ(out["IPAM"]["Config"], json::array());
  EXPECT_EQ(out["Containers"], json::object());
  EXPECT_EQ(out["Options"], json::object());
  EXPECT_EQ(out["Labels"], json::object());
}

TEST(NetworkJsonTest, ListLeavesContainersOutFromApi128) {
  v1::ListNetworksReply reply;
  EXPECT_EQ(NetworkListJson(reply, false), json::array());
  *reply.add_networks() = UserNetwork();
  reply.add_networks()->set_name("bridge");
  json out = NetworkListJson(reply, false);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["Name"], "web");
  EXPECT_EQ(out[0]["Containers"], json::object());
  EXPECT_EQ(out[1]["Name"], "bridge");
  EXPECT_EQ(NetworkListJson(reply, true)[0]["Containers"].size(), 1u);
}

TEST(NetworkJsonTest, CreateAndPruneAnswers) {
  EXPECT_EQ(NetworkCreateJson(UserNetwork()),
            json({{"Id", std::string(64, 'a')}, {"Warning", ""}}));
  v1::PruneNetworksReply reply;
  EXPECT_EQ(NetworkPruneJson(reply).dump(), R"({"NetworksDeleted":null})");
  reply.add_deleted("a");
  reply.add_deleted("b");
  EXPECT_EQ(NetworkPruneJson(reply).dump(), R"({"NetworksDeleted":["a","b"]})");
}

TEST(NetworkJsonTest, ConnectBody) {
  absl::StatusOr<v1::NetworkConnectRequest> request =
      NetworkConnectFromJson(json::parse(R"({"Container": "app",
          "EndpointConfig": {"Aliases": ["db", "db2"], "IPAMConfig": {},
                             "Links": null}})"),
                             "web");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->container(), "app");
  EXPECT_EQ(request->network(), "web");
  ASSERT_EQ(request->aliases_size(), 2);
  EXPECT_EQ(request->aliases(1), "db2");
  EXPECT_FALSE(request->force());

  EXPECT_EQ(NetworkConnectFromJson(json::parse(R"({"Container": "app",
                "EndpointConfig": {"IPAMConfig": {"IPv4Address": "10.0.0.9"}}})"),
                                   "web")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NetworkConnectFromJson(json::parse(R"({"Container": "app",
                                "EndpointConfig": {"Aliases": "db"}})"),
                                   "web")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NetworkConnectFromJson(json::object(), "web").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(NetworkConnectFromJson(json(nullptr), "web").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NetworkJsonTest, DisconnectBody) {
  absl::StatusOr<v1::NetworkConnectRequest> request = NetworkDisconnectFromJson(
      json::parse(R"({"Container": "app", "Force": true})"), "web");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->container(), "app");
  EXPECT_EQ(request->network(), "web");
  EXPECT_TRUE(request->force());
  EXPECT_EQ(NetworkDisconnectFromJson(json::parse(R"({"Container": "app",
                                                "Force": "yes"})"),
                                      "web")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth
