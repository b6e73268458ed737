#include "services/daemon/volumes/volume_service.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/server_context.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace berth {
namespace {

using ::testing::HasSubstr;

class VolumeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<VolumeStore>(tmp_.Join("volumes"));
    ASSERT_TRUE(store_->Restore().ok());
    for (HandlerSpec& spec : VolumeJobs(store_.get())) {
      jobs_[spec.name] = spec.handler;
    }
  }

  // Runs job `name`; its stdout goes to `*out`.
  absl::Status Run(const std::string& name, std::vector<std::string> args,
                   std::vector<std::string> env, std::string* out = nullptr) {
    StringOutput stdout_, stderr_;
    StringInput stdin_;
    Job job(name, std::move(args), Env(std::move(env)), &stdout_, &stderr_,
            &stdin_);
    absl::Status status = jobs_.at(name)(job);
    if (out != nullptr) *out = stdout_.data();
    return status;
  }

  testing::TempDir tmp_;
  std::unique_ptr<VolumeStore> store_;
  std::map<std::string, Handler> jobs_;
};

TEST_F(VolumeServiceTest, ServesTheFiveVolumeJobs) {
  EXPECT_EQ(jobs_.size(), 5u);
  for (const char* name : {"volume_create", "volume_rm", "volumes",
                           "volume_inspect", "volume_prune"}) {
    EXPECT_TRUE(jobs_.contains(name)) << name;
  }
}

TEST_F(VolumeServiceTest, JobsPrintDockersJson) {
  std::string out;
  ASSERT_TRUE(Run("volume_create", {"web"},
                  {R"(Labels={"app":"web"})",
                   R"(DriverOpts={"type":"tmpfs","device":"tmpfs"})"},
                  &out)
                  .ok());
  nlohmann::json volume = nlohmann::json::parse(out);
  EXPECT_EQ(volume["Name"], "web");
  EXPECT_EQ(volume["Labels"]["app"], "web");
  EXPECT_EQ(volume["Options"]["type"], "tmpfs");

  ASSERT_TRUE(Run("volume_create", {}, {}, &out).ok());
  std::string anonymous = nlohmann::json::parse(out)["Name"];

  ASSERT_TRUE(Run("volumes", {}, {R"(filters={"label":["app"]})"}, &out).ok());
  nlohmann::json list = nlohmann::json::parse(out);
  ASSERT_EQ(list["Volumes"].size(), 1u);
  EXPECT_EQ(list["Volumes"][0]["Name"], "web");
  EXPECT_EQ(list["Warnings"], nlohmann::json::array());

  ASSERT_TRUE(Run("volume_inspect", {"web"}, {}, &out).ok());
  EXPECT_EQ(nlohmann::json::parse(out)["Driver"], "local");

  ASSERT_TRUE(Run("volume_prune", {}, {}, &out).ok());
  EXPECT_EQ(nlohmann::json::parse(out)["VolumesDeleted"],
            nlohmann::json::array({anonymous}));
  ASSERT_TRUE(Run("volume_rm", {"web"}, {}).ok());
  EXPECT_TRUE(absl::IsNotFound(Run("volume_rm", {"web"}, {})));
  EXPECT_TRUE(Run("volume_rm", {"web"}, {"force=1"}).ok());
}

TEST_F(VolumeServiceTest, JobsRefuseBadInput) {
  EXPECT_TRUE(absl::IsInvalidArgument(Run("volume_inspect", {}, {})));
  EXPECT_TRUE(absl::IsInvalidArgument(Run("volume_create", {"a", "b"}, {})));
  absl::Status status = Run("volume_create", {"ok"}, {"Labels=[1]"});
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  status = Run("volumes", {}, {R"(filters={"nope":["1"]})"});
  EXPECT_EQ(status.message(), "invalid filter 'nope'");
}

TEST_F(VolumeServiceTest, RpcsAnswerWithTheStoresCodes) {
  VolumeServiceImpl service(store_.get());
  grpc::ServerContext context;
  v1::CreateVolumeRequest create;
  create.set_name("data");
  (*create.mutable_labels())["k"] = "v";
  v1::Volume volume;
  ASSERT_TRUE(service.CreateVolume(&context, &create, &volume).ok());
  EXPECT_EQ(volume.labels().at("k"), "v");

  v1::VolumeRequest inspect;
  inspect.set_name("missing");
  grpc::Status status = service.InspectVolume(&context, &inspect, &volume);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "get missing: no such volume");

  ASSERT_TRUE(store_->Acquire("data", "c1").ok());
  v1::RemoveVolumeRequest remove;
  remove.set_name("data");
  v1::RemoveVolumeReply removed;
  status = service.RemoveVolume(&context, &remove, &removed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(status.error_message(), HasSubstr("volume is in use - [c1]"));

  v1::VolumeDiskUsageRequest usage_request;
  v1::VolumeDiskUsageReply usage;
  ASSERT_TRUE(service.DiskUsage(&context, &usage_request, &usage).ok());
  ASSERT_EQ(usage.volumes_size(), 1);
  EXPECT_EQ(usage.volumes(0).usage_data().ref_count(), 1);
}

}  // namespace
}  // namespace berth
