// The engine in-process behind real gRPC channels, with a remote service
// that registers through EngineRegistration like berth's services do.
#include <chrono>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/job/engine_registration.h"
#include "lib/job/job_client.h"
#include "lib/job/job_service.h"
#include "lib/rpc/channels.h"
#include "lib/rpc/unix_server.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "proto/engine.grpc.pb.h"
#include "services/engine/builtin_jobs.h"
#include "services/engine/engine_service.h"

namespace berth {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.set_exec_root(tmp_.path());
    config_.set_data_root(tmp_.path());
    config_.set_graph_driver("vfs");
    config_.set_exec_driver("native");
    core_ = std::make_unique<EngineCore>(config_, "test-id");
    ASSERT_TRUE(RegisterBuiltinJobs(core_.get()).ok());
    engine_service_ = std::make_unique<EngineServiceImpl>(core_.get());
    registry_service_ = std::make_unique<RegistryServiceImpl>(core_.get());
    job_service_ = std::make_unique<JobServiceImpl>(&core_->dispatcher());
    auto server = StartUnixServer(
        tmp_.Join("engine.sock"),
        {engine_service_.get(), registry_service_.get(), job_service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = MakeChannel(UnixTarget(tmp_.Join("engine.sock")));
  }

  void TearDown() override {
    core_->Shutdown();
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(1));
  }

  absl::Status Run(const std::string& name, std::vector<std::string> args,
                   std::vector<std::string> env, std::string* out) {
    v1::JobSpec spec;
    spec.set_name(name);
    for (auto& a : args) spec.add_args(a);
    for (auto& e : env) spec.add_env(e);
    StringInput in;
    StringOutput stdout_sink, stderr_sink;
    absl::Status status =
        RunRemoteJob(channel_, spec, &in, &stdout_sink, &stderr_sink);
    *out = stdout_sink.data();
    return status;
  }

  testing::TempDir tmp_;
  v1::DaemonConfig config_;
  std::unique_ptr<EngineCore> core_;
  std::unique_ptr<EngineServiceImpl> engine_service_;
  std::unique_ptr<RegistryServiceImpl> registry_service_;
  std::unique_ptr<JobServiceImpl> job_service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A service in the same process with its own socket and registry.
struct FakeService {
  FakeService(const std::string& dir, const std::string& name,
              std::vector<std::string> jobs)
      : dispatcher(&registry), job_service(&dispatcher) {
    v1::RegisterRequest request;
    request.set_service(name);
    request.set_address(UnixTarget(dir + "/" + name + ".sock"));
    std::vector<HandlerSpec> specs;
    for (const std::string& job : jobs) {
      request.add_handlers()->set_name(job);
      specs.push_back({job, [name](Job& j) {
                         j.Stdout().Write(name + ":" + j.name());
                         return absl::OkStatus();
                       }});
    }
    EXPECT_TRUE(registry.RegisterService(name, std::move(specs)).ok());
    server =
        std::move(*StartUnixServer(dir + "/" + name + ".sock", {&job_service}));
    registration = std::make_unique<EngineRegistration>(
        UnixTarget(dir + "/engine.sock"), request);
    registration->Start();
  }
  ~FakeService() {
    registration->Stop();
    server->Shutdown(std::chrono::system_clock::now());
  }

  HandlerRegistry registry;
  Dispatcher dispatcher;
  JobServiceImpl job_service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<EngineRegistration> registration;
};

bool WaitFor(const std::function<bool()>& condition) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

TEST_F(EngineTest, CommandsListsBuiltins) {
  std::string out;
  ASSERT_TRUE(Run("commands", {}, {}, &out).ok());
  for (const char* name :
       {"commands", "version", "info", "events", "log", "subscribers_count"}) {
    EXPECT_NE(out.find(std::string(name) + "\tengine\n"), std::string::npos)
        << name;
  }
}

TEST_F(EngineTest, VersionJobPrintsDockerShape) {
  std::string out;
  ASSERT_TRUE(Run("version", {}, {}, &out).ok());
  nlohmann::json version = nlohmann::json::parse(out);
  EXPECT_EQ(version["ApiVersion"], "1.43");
  EXPECT_EQ(version["MinAPIVersion"], "1.24");
  EXPECT_EQ(version["Os"], "linux");
  EXPECT_FALSE(version["KernelVersion"].get<std::string>().empty());
}

TEST_F(EngineTest, UnknownJobIsNotFound) {
  std::string out;
  absl::Status status = Run("frobnicate", {}, {}, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such job: frobnicate");
}

TEST_F(EngineTest, LogThenEventsReplaysIt) {
  std::string out;
  int64_t since = absl::ToUnixSeconds(absl::Now()) - 1;
  ASSERT_TRUE(Run("log", {"create", "c0ffee", "busybox"}, {}, &out).ok());
  nlohmann::json logged = nlohmann::json::parse(out);
  EXPECT_EQ(logged["Type"], "container");
  EXPECT_EQ(logged["Actor"]["Attributes"]["image"], "busybox");
  ASSERT_TRUE(Run("events", {},
                  {"since=" + std::to_string(since),
                   "until=" + std::to_string(since + 3),
                   R"(filters={"type":["container"]})"},
                  &out)
                  .ok());
  nlohmann::json event = nlohmann::json::parse(out.substr(0, out.find('\n')));
  EXPECT_EQ(event["Action"], "create");
  EXPECT_EQ(event["id"], "c0ffee");
  EXPECT_EQ(event["from"], "busybox");
}

TEST_F(EngineTest, RemoteServiceJobsRouteAndUnregister) {
  std::string out;
  {
    FakeService netd(tmp_.path(), "netd", {"allocate_port", "link"});
    ASSERT_TRUE(netd.registration->WaitRegistered(absl::Seconds(10)));
    ASSERT_TRUE(Run("link", {}, {}, &out).ok());
    EXPECT_EQ(out, "netd:link");
    absl::StatusOr<v1::ResolveReply> resolved = core_->Resolve("link");
    ASSERT_TRUE(resolved.ok());
    EXPECT_EQ(resolved->service(), "netd");
    EXPECT_EQ(resolved->address(), UnixTarget(tmp_.Join("netd.sock")));

    // Another service may not take a name netd owns.
    FakeService thief(tmp_.path(), "thief", {"link"});
    EXPECT_FALSE(thief.registration->WaitRegistered(absl::Milliseconds(500)));
  }
  // netd went away: its jobs go with it.
  ASSERT_TRUE(WaitFor([&] {
    return core_->Resolve("link").status().code() ==
           absl::StatusCode::kNotFound;
  }));
  EXPECT_EQ(Run("link", {}, {}, &out).code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, ShutdownRefusesNewJobs) {
  core_->Shutdown();
  std::string out;
  EXPECT_EQ(Run("version", {}, {}, &out).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace berth
