#include "lib/docker/container_json.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(ContainerJsonTest, CreateBodyAsTheCliSendsIt) {
  nlohmann::json body = nlohmann::json::parse(R"({
    "Image": "busybox", "Cmd": ["sh", "-c", "echo hi"], "Entrypoint": null,
    "Env": ["A=1"], "Tty": true, "OpenStdin": true, "StdinOnce": true,
    "Labels": {"k": "v"}, "StopTimeout": 3, "ExposedPorts": {"80/tcp": {}},
    "HostConfig": {"Binds": ["/tmp:/mnt:ro"], "AutoRemove": true,
      "Memory": 67108864, "MemorySwap": -1, "NanoCpus": 500000000,
      "PidsLimit": null, "Tmpfs": {"/run": "size=1m"}, "Init": true,
      "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2},
      "Ulimits": [{"Name": "nofile", "Soft": 100, "Hard": 200}],
      "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}},
      "Mounts": [{"Type": "tmpfs", "Target": "/t",
                  "TmpfsOptions": {"SizeBytes": 1024, "Mode": 448}}]}})");
  absl::StatusOr<v1::CreateContainerRequest> request =
      CreateRequestFromJson(body);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->config().image(), "busybox");
  EXPECT_EQ(request->config().cmd_size(), 3);
  EXPECT_FALSE(request->config().entrypoint_set());
  EXPECT_TRUE(request->config().tty());
  EXPECT_EQ(request->config().stop_timeout(), 3);
  EXPECT_EQ(request->config().exposed_ports(0), "80/tcp");
  const v1::HostConfig& host = request->host_config();
  EXPECT_EQ(host.binds(0), "/tmp:/mnt:ro");
  EXPECT_TRUE(host.auto_remove());
  EXPECT_EQ(host.memory(), 64 << 20);
  EXPECT_EQ(host.memory_swap(), -1);
  EXPECT_EQ(host.nano_cpus(), 500000000);
  EXPECT_EQ(host.pids_limit(), 0);
  EXPECT_EQ(host.tmpfs().at("/run"), "size=1m");
  EXPECT_TRUE(host.init());
  EXPECT_EQ(host.restart_policy().maximum_retry_count(), 2);
  EXPECT_EQ(host.ulimits(0).hard(), 200);
  EXPECT_EQ(host.log_config().at("max-size"), "1m");
  EXPECT_EQ(host.mounts(0).options(), "size=1024,mode=700");
}

TEST(ContainerJsonTest, EmptyEntrypointResetsTheImages) {
  absl::StatusOr<v1::CreateContainerRequest> request = CreateRequestFromJson(
      nlohmann::json::parse(R"({"Image": "x", "Entrypoint": [""]})"));
  ASSERT_TRUE(request.ok());
  EXPECT_TRUE(request->config().entrypoint_set());
  EXPECT_TRUE(request->config().entrypoint().empty());
}

TEST(ContainerJsonTest, NetworkingConfigNamesTheEndpoints) {
  absl::StatusOr<v1::CreateContainerRequest> request =
      CreateRequestFromJson(nlohmann::json::parse(R"({"Image": "x",
        "NetworkingConfig": {"EndpointsConfig": {
          "web": {"Aliases": ["db", "cache"], "Links": ["old:alias"]},
          "back": null}}})"));
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->endpoints_size(), 2);
  const v1::EndpointSettings& web = request->endpoints().at("web");
  ASSERT_EQ(web.aliases_size(), 2);
  EXPECT_EQ(web.aliases(0), "db");
  EXPECT_EQ(web.aliases(1), "cache");
  ASSERT_EQ(web.links_size(), 1);
  EXPECT_EQ(web.links(0), "old:alias");
  EXPECT_TRUE(request->endpoints().at("back").aliases().empty());
}

TEST(ContainerJsonTest, RefusesBadBodies) {
  EXPECT_FALSE(CreateRequestFromJson(nlohmann::json::array()).ok());
  EXPECT_FALSE(
      CreateRequestFromJson(
          nlohmann::json::parse(
              R"({"Image": "x", "HostConfig": {"LogConfig": {"Type": "syslog"}}})"))
          .ok());
}

TEST(ContainerJsonTest, InspectHasTheFieldsTheCliReads) {
  v1::ContainerDetail detail;
  detail.set_id("abc");
  detail.set_name("/web");
  detail.mutable_state()->set_status("running");
  detail.mutable_state()->set_pid(42);
  detail.mutable_config()->set_tty(true);
  detail.mutable_config()->set_stop_timeout(-1);
  nlohmann::json out = ContainerInspectJson(detail);
  EXPECT_EQ(out["Id"], "abc");
  EXPECT_EQ(out["Name"], "/web");
  EXPECT_EQ(out["State"]["Running"], true);
  EXPECT_EQ(out["State"]["Pid"], 42);
  EXPECT_EQ(out["Config"]["Tty"], true);
  EXPECT_TRUE(out["Config"]["StopTimeout"].is_null());
  EXPECT_EQ(out["HostConfig"]["RestartPolicy"]["Name"], "no");
}

TEST(ContainerJsonTest, ListIsValidJsonWithTheCliFields) {
  v1::ListContainersReply reply;
  EXPECT_EQ(ContainerListJson(reply), "[]");
  for (const char* id : {"aaa", "bbb"}) {
    v1::ContainerSummary* summary = reply.add_containers();
    summary->set_id(id);
    summary->add_names("/n-" + std::string(id));
    summary->set_command("sh -c \"echo <hi>\"");
    summary->set_created(1700000000);
    summary->set_state("exited");
    summary->set_status("Exited (0) 2 minutes ago");
    (*summary->mutable_labels())["k\"ey"] = "v\n";
    summary->set_network_mode("none");
  }
  nlohmann::json out = nlohmann::json::parse(ContainerListJson(reply));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["Id"], "bbb");
  EXPECT_EQ(out[1]["Names"][0], "/n-bbb");
  EXPECT_EQ(out[0]["Command"], "sh -c \"echo <hi>\"");
  EXPECT_EQ(out[0]["Created"], 1700000000);
  EXPECT_EQ(out[0]["Labels"]["k\"ey"], "v\n");
  EXPECT_EQ(out[0]["HostConfig"]["NetworkMode"], "none");
  EXPECT_TRUE(out[0]["Ports"].is_array());
  EXPECT_TRUE(out[0]["Mounts"].is_array());
  // Go's encoder escapes HTML characters; so does berth.
  EXPECT_NE(ContainerListJson(reply).find("\\u003chi\\u003e"),
            std::string::npos);
}

TEST(ContainerJsonTest, NetworkFieldsInTheListAndInInspect) {
  v1::EndpointSettings endpoint;
  endpoint.set_network_id("bridge");
  endpoint.set_ip_address("172.17.0.2");
  endpoint.set_ip_prefix_len(16);
  endpoint.set_gateway("172.17.0.1");
  endpoint.set_mac_address("02:42:ac:11:00:02");
  endpoint.add_links("db:store");
  v1::PublishedPort published;
  published.set_container_port("80/tcp");
  published.set_host_ip("0.0.0.0");
  published.set_host_port(8080);

  v1::ListContainersReply reply;
  v1::ContainerSummary* summary = reply.add_containers();
  *summary->add_ports() = published;
  summary->add_ports()->set_container_port("53/udp");
  (*summary->mutable_networks())["bridge"] = endpoint;
  nlohmann::json out = nlohmann::json::parse(ContainerListJson(reply));
  EXPECT_EQ(
      out[0]["Ports"],
      nlohmann::json::parse(
          R"([{"IP":"0.0.0.0","PublicPort":8080,"PrivatePort":80,"Type":"tcp"},
                    {"PrivatePort":53,"Type":"udp"}])"));
  nlohmann::json listed = out[0]["NetworkSettings"]["Networks"]["bridge"];
  EXPECT_EQ(listed["IPAddress"], "172.17.0.2");
  EXPECT_EQ(listed["IPPrefixLen"], 16);
  EXPECT_EQ(listed["Links"][0], "db:store");
  EXPECT_TRUE(listed["Aliases"].is_null());

  v1::ContainerDetail detail;
  detail.mutable_config()->add_exposed_ports("80/tcp");
  detail.mutable_config()->add_exposed_ports("443/tcp");
  v1::NetworkSettings* settings = detail.mutable_network_settings();
  settings->set_sandbox_key("/run/berth/containers/x/netns");
  settings->set_bridge("berth0");
  *settings->add_ports() = published;
  (*settings->mutable_networks())["bridge"] = endpoint;
  nlohmann::json inspected = ContainerInspectJson(detail)["NetworkSettings"];
  EXPECT_EQ(inspected["IPAddress"], "172.17.0.2");
  EXPECT_EQ(inspected["Gateway"], "172.17.0.1");
  EXPECT_EQ(inspected["Bridge"], "berth0");
  EXPECT_EQ(inspected["Ports"]["80/tcp"][0]["HostPort"], "8080");
  EXPECT_TRUE(inspected["Ports"]["443/tcp"].is_null());
  EXPECT_EQ(inspected["Networks"], nlohmann::json({{"bridge", listed}}));
}

TEST(ContainerJsonTest, ChangesAreNullWhenNothingChanged) {
  v1::ChangesReply reply;
  EXPECT_TRUE(ChangesJson(reply).is_null());
  v1::FileChange* change = reply.add_changes();
  change->set_path("/tmp/x");
  change->set_kind(1);
  EXPECT_EQ(ChangesJson(reply).dump(), R"([{"Kind":1,"Path":"/tmp/x"}])");
}

}  // namespace
}  // namespace berth
