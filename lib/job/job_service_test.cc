// Jobs over real gRPC channels on unix sockets: a caller -> an engine that
// forwards -> the service that owns the job.
#include "lib/job/job_service.h"

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "lib/job/job_client.h"
#include "lib/rpc/channels.h"
#include "lib/rpc/unix_server.h"
#include "lib/testing/temp_dir.h"

namespace berth {
namespace {

// Stdin that never ends on its own, like a terminal nobody types into.
class EndlessInput : public InputStream {
 public:
  bool Read(std::string*) override {
    abandoned_.WaitForNotification();
    return false;
  }
  void Abandon() override {
    if (!abandoned_.HasBeenNotified()) abandoned_.Notify();
  }

 private:
  absl::Notification abandoned_;
};

class JobServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(owner_registry_
                    .Register("owner", {"cat",
                                        [](Job& job) {
                                          std::string chunk;
                                          while (job.Stdin().Read(&chunk)) {
                                            job.Stdout().Write(chunk);
                                          }
                                          job.Stderr().Write("done");
                                          return absl::OkStatus();
                                        }})
                    .ok());
    ASSERT_TRUE(owner_registry_
                    .Register("owner", {"fail",
                                        [](Job& job) {
                                          return absl::InvalidArgumentError(
                                              "bad " + job.args().at(0));
                                        }})
                    .ok());
    ASSERT_TRUE(owner_registry_
                    .Register("owner", {"ignore_stdin",
                                        [](Job& job) {
                                          job.Stdout().Write("hi");
                                          return absl::OkStatus();
                                        }})
                    .ok());
    auto owner = StartUnixServer(tmp_.Join("owner.sock"), {&owner_service_});
    ASSERT_TRUE(owner.ok()) << owner.status();
    owner_server_ = std::move(*owner);
    ASSERT_TRUE(
        engine_registry_
            .RegisterService(
                "owner",
                {{"cat", MakeForwardingHandler(
                             MakeChannel(UnixTarget(tmp_.Join("owner.sock"))))},
                 {"fail", MakeForwardingHandler(MakeChannel(
                              UnixTarget(tmp_.Join("owner.sock"))))},
                 {"ignore_stdin", MakeForwardingHandler(MakeChannel(
                                      UnixTarget(tmp_.Join("owner.sock"))))}})
            .ok());
    auto engine = StartUnixServer(tmp_.Join("engine.sock"), {&engine_service_});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_server_ = std::move(*engine);
    engine_channel_ = MakeChannel(UnixTarget(tmp_.Join("engine.sock")));
  }

  void TearDown() override {
    if (engine_server_) engine_server_->Shutdown();
    if (owner_server_) owner_server_->Shutdown();
  }

  testing::TempDir tmp_;
  HandlerRegistry owner_registry_;
  Dispatcher owner_dispatcher_{&owner_registry_};
  JobServiceImpl owner_service_{&owner_dispatcher_};
  std::unique_ptr<grpc::Server> owner_server_;
  HandlerRegistry engine_registry_;
  Dispatcher engine_dispatcher_{&engine_registry_};
  JobServiceImpl engine_service_{&engine_dispatcher_};
  std::unique_ptr<grpc::Server> engine_server_;
  std::shared_ptr<grpc::Channel> engine_channel_;
};

TEST_F(JobServiceTest, StdinStreamsThroughTwoHops) {
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = 'a' + (i / 4096) % 26;
  StringInput in(big);
  StringOutput out, err;
  v1::JobSpec spec;
  spec.set_name("cat");
  spec.set_attach_stdin(true);
  absl::Status status = RunRemoteJob(engine_channel_, spec, &in, &out, &err);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(out.data(), big);
  EXPECT_EQ(err.data(), "done");
}

TEST_F(JobServiceTest, StatusAndArgsCrossTheWire) {
  StringInput in;
  StringOutput out, err;
  v1::JobSpec spec;
  spec.set_name("fail");
  spec.add_args("input");
  absl::Status status = RunRemoteJob(engine_channel_, spec, &in, &out, &err);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "bad input");
}

TEST_F(JobServiceTest, UnknownJobIsNotFound) {
  StringInput in;
  StringOutput out, err;
  v1::JobSpec spec;
  spec.set_name("nope");
  absl::Status status = RunRemoteJob(engine_channel_, spec, &in, &out, &err);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such job: nope");
}

TEST_F(JobServiceTest, JobThatIgnoresOpenStdinStillEnds) {
  EndlessInput in;
  StringOutput out, err;
  v1::JobSpec spec;
  spec.set_name("ignore_stdin");
  spec.set_attach_stdin(true);
  absl::Status status = RunRemoteJob(engine_channel_, spec, &in, &out, &err);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(out.data(), "hi");
}

}  // namespace
}  // namespace berth
