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
