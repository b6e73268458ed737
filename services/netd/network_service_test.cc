#include "services/netd/network_service.h"

#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server.h"
#include "gtest/gtest.h"
#include "lib/rpc/channels.h"
#include "lib/rpc/unix_server.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/netd/fakes.h"

namespace berth::netd {
namespace {

using ::testing::HasSubstr;

class NetworkServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NetworkOptions options;
    options.bip = "10.44.0.1/16";
    options.state_dir = tmp_.Join("network");
    NetworkManagerDeps deps;
    deps.netlink = &netlink_;
    deps.firewall = &firewall_;
    deps.make_firewall = [](const std::string&) {
      return std::make_unique<testing::FakeFirewall>();
    };
    deps.proxy = &proxy_;
    deps.sysctl = &sysctl_;
    deps.ports = &ports_;
    core_ = std::make_unique<NetworkManager>(options, deps);
    for (HandlerSpec& spec : NetworkJobs(core_.get())) {
      jobs_[spec.name] = spec.handler;
    }
  }

  absl::Status Run(const std::string& name, std::vector<std::string> args,
                   std::vector<std::string> env,
                   nlohmann::json* out = nullptr) {
    StringOutput stdout_, stderr_;
    StringInput stdin_;
    Job job(name, std::move(args), Env(std::move(env)), &stdout_, &stderr_,
            &stdin_);
    absl::Status status = jobs_.at(name)(job);
    if (out != nullptr && status.ok())
      *out = nlohmann::json::parse(stdout_.data());
    return status;
  }

  std::string Netns(const std::string& name) {
    std::string path = tmp_.Join(name);
    std::ofstream(path) << "";
    return path;
  }

  berth::testing::TempDir tmp_;
  testing::FakeNetworkWorld world_;
  testing::FakeNetlink netlink_{&world_, "host"};
  testing::FakeFirewall firewall_;
  testing::FakeProxy proxy_;
  testing::FakeSysctl sysctl_;
  PortAllocator ports_{PortRange{40000, 40010}};
  std::unique_ptr<NetworkManager> core_;
  std::map<std::string, Handler> jobs_;
};

TEST_F(NetworkServiceTest, ServesTheSeedsNetworkJobs) {
  EXPECT_EQ(jobs_.size(), 5u);
  for (const char* name : {"init_networkdriver", "allocate_interface",
                           "release_interface", "allocate_port", "link"}) {
    EXPECT_TRUE(jobs_.contains(name)) << name;
  }
}

TEST_F(NetworkServiceTest, JobsTakeTheSeedsEnvAndPrintJson) {
  nlohmann::json out;
  ASSERT_TRUE(Run("init_networkdriver", {}, {}, &out).ok());
  EXPECT_EQ(out["Bridge"], "berth0");
  EXPECT_EQ(out["BridgeIP"], "10.44.0.1/16");
  EXPECT_EQ(out["DefaultBindingIP"], "0.0.0.0");

  ASSERT_TRUE(Run("allocate_interface", {"web"},
                  {"NetnsPath=" + Netns("ns1"), "RequestedIP=10.44.0.9"}, &out)
                  .ok());
  EXPECT_EQ(out["IP"], "10.44.0.9");
  EXPECT_EQ(out["Mask"], "255.255.0.0");
  EXPECT_EQ(out["IPPrefixLen"], 16);
  EXPECT_EQ(out["Gateway"], "10.44.0.1");
  EXPECT_EQ(out["MacAddress"], "02:42:0a:2c:00:09");
  EXPECT_EQ(out["Bridge"], "berth0");
  ASSERT_TRUE(
      Run("allocate_interface", {"db"}, {"NetnsPath=" + Netns("ns2")}, &out)
          .ok());

  ASSERT_TRUE(Run("allocate_port", {"web"},
                  {"HostPort=8080", "ContainerPort=80", "Proto=tcp"}, &out)
                  .ok());
  EXPECT_EQ(out["HostIP"], "0.0.0.0");
  EXPECT_EQ(out["HostPort"], 8080);
  ASSERT_TRUE(
      Run("allocate_port", {"web", "127.0.0.1::53/udp"}, {}, &out).ok());
  EXPECT_EQ(out["HostIP"], "127.0.0.1");
  EXPECT_EQ(out["HostPort"], 40000);
  EXPECT_EQ(out["Proto"], "udp");
  absl::Status taken = Run("allocate_port", {"db", "8080:80"}, {});
  EXPECT_EQ(taken.message(),
            "Bind for 0.0.0.0:8080 failed: port is already allocated");
  EXPECT_TRUE(absl::IsInvalidArgument(
      Run("allocate_port", {"db"}, {"HostPort=x", "ContainerPort=80"})));

  ASSERT_TRUE(
      Run("link", {"-I"},
          {"ParentIP=10.44.0.9", "ChildIP=10.44.0.10", R"(Ports=["5432/tcp"])"})
          .ok());
  EXPECT_EQ(firewall_.links.size(), 1u);
  ASSERT_TRUE(Run("link", {"-D"},
                  {"ParentIP=10.44.0.9", "ChildIP=10.44.0.10", "Ports=5432"})
                  .ok());
  EXPECT_TRUE(firewall_.links.empty());
  EXPECT_TRUE(absl::IsInvalidArgument(Run("link", {"-X"}, {})));

  ASSERT_TRUE(Run("release_interface", {"web"}, {}).ok());
  EXPECT_TRUE(firewall_.ports.empty());
  EXPECT_TRUE(absl::IsInvalidArgument(Run("release_interface", {}, {})));
}

TEST_F(NetworkServiceTest, TypedRpcsOverARealChannel) {
  NetworkServiceImpl service(core_.get());
  std::string socket = tmp_.Join("netd.sock");
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartUnixServer(socket, {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::NetworkService::NewStub(MakeChannel(UnixTarget(socket)));

  {
    grpc::ClientContext context;
    v1::AllocateInterfaceRequest request;
    request.set_container_id("c1");
    request.set_netns_path(Netns("ns1"));
    v1::NetworkInterface reply;
    grpc::Status status = stub->AllocateInterface(&context, request, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(status.error_message(), HasSubstr("init_networkdriver"));
  }
  {
    grpc::ClientContext context;
    v1::InitDriverReply reply;
    ASSERT_TRUE(stub->InitDriver(&context, {}, &reply).ok());
    EXPECT_EQ(reply.bridge_address(), "10.44.0.1/16");
  }
  v1::NetworkInterface iface;
  {
    grpc::ClientContext context;
    v1::AllocateInterfaceRequest request;
    request.set_container_id("c1");
    request.set_netns_path(Netns("ns1"));
    ASSERT_TRUE(stub->AllocateInterface(&context, request, &iface).ok());
    EXPECT_EQ(iface.ip(), "10.44.0.2");
  }
  {
    grpc::ClientContext context;
    v1::AllocatePortRequest request;
    request.set_container_id("c1");
    request.set_container_port(80);
    v1::PortBinding reply;
    ASSERT_TRUE(stub->AllocatePort(&context, request, &reply).ok());
    EXPECT_EQ(reply.host_port(), 40000);
    EXPECT_EQ(reply.protocol(), "tcp");
  }
  {
    grpc::ClientContext context;
    v1::ReleasePortRequest request;
    request.set_container_id("c1");
    request.set_host_port(40000);
    v1::ReleasePortReply reply;
    ASSERT_TRUE(stub->ReleasePort(&context, request, &reply).ok());
    EXPECT_TRUE(proxy_.running.empty());
  }
  {
    grpc::ClientContext context;
    v1::LinkRequest request;
    request.set_parent_ip("10.44.0.2");
    request.set_child_ip("10.44.0.3");
    v1::LinkReply reply;
    EXPECT_EQ(stub->Link(&context, request, &reply).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::ReleaseInterfaceRequest request;
    request.set_container_id("c1");
    v1::ReleaseInterfaceReply reply;
    ASSERT_TRUE(stub->ReleaseInterface(&context, request, &reply).ok());
  }
  (*server)->Shutdown();
}

}  // namespace
}  // namespace berth::netd
