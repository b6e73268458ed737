// ContainerFs and docker commit on a created (never started) container of
// a real vfs store in a temp dir: diff against the init layer, cp both
// ways, export, commit, and the lease that keeps the container.
#include "services/daemon/containers/container_fs.h"

#include <sys/stat.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "services/daemon/archive/test_tar.h"
#include "services/daemon/containers/container_commit.h"
#include "services/daemon/graphdriver/driver_factory.h"
#include "services/daemon/volumes/volume_store.h"

namespace berth {
namespace {

using ::berth::testing::TempDir;

// A docker-save archive of base:1: /etc/base and /etc/keep, command "sh".
std::string BaseImageArchive() {
  std::string layer =
      testing::BuildTar({testing::Dir("etc"), testing::File("etc/base", "base"),
                         testing::File("etc/keep", "keep")});
  std::string diff_id = "sha256:" + testing::Sha256Hex(layer);
  std::string config =
      nlohmann::json{{"architecture", "amd64"},
                     {"os", "linux"},
                     {"config", {{"Cmd", {"sh"}}}},
                     {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}}
          .dump();
  std::string config_name = testing::Sha256Hex(config) + ".json";
  std::string layer_name = testing::Sha256Hex(layer) + "/layer.tar";
  nlohmann::json manifest = nlohmann::json::array({{{"Config", config_name},
                                                    {"RepoTags", {"base:1"}},
                                                    {"Layers", {layer_name}}}});
  return testing::BuildTar({testing::File(config_name, config),
                            testing::File(layer_name, layer),
                            testing::File("manifest.json", manifest.dump())});
}

class ContainerFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<GraphDriver>> driver =
        NewGraphDriver("vfs", tmp_.Join("graph"), {});
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
    images_ = std::make_unique<ImageCore>(tmp_.Join("image"), driver_.get());
    ASSERT_TRUE(images_->Restore().ok());
    StringSource archive(BaseImageArchive());
    ASSERT_TRUE(images_->Load(archive, nullptr).ok());
    volumes_ = std::make_unique<VolumeStore>(tmp_.Join("volumes"));
    ASSERT_TRUE(volumes_->Restore().ok());
    ContainerCoreOptions options;
    options.root = tmp_.Join("containers");
    options.run_root = tmp_.Join("run");
    core_ = std::make_unique<ContainerCore>(
        options, driver_.get(), images_.get(), volumes_.get(), &network_);
    ASSERT_TRUE(core_->Restore().ok());
    fs_ = std::make_unique<ContainerFs>(core_.get(), driver_.get());
  }

  // A container of base:1, never started; its id.
  std::string Create(const std::string& name, bool read_only = false) {
    v1::CreateContainerRequest request;
    request.set_name(name);
    request.mutable_config()->set_image("base:1");
    request.mutable_config()->add_cmd("sh");
    request.mutable_config()->add_cmd("-c");
    request.mutable_config()->add_cmd("make changes");
    request.mutable_host_config()->set_readonly_rootfs(read_only);
    absl::StatusOr<v1::CreateContainerReply> reply = core_->Create(request);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? reply->id() : "";
  }

  // What the container "did": a vfs layer is its whole filesystem.
  void MakeChanges(const std::string& id) {
    std::string dir = driver_->DiffDir(id);
    ASSERT_TRUE(WriteFileAtomic(dir + "/etc/new", "new", 0644).ok());
    ASSERT_EQ(unlink((dir + "/etc/base").c_str()), 0);
  }

  TempDir tmp_;
  std::unique_ptr<GraphDriver> driver_;
  std::unique_ptr<ImageCore> images_;
  std::unique_ptr<VolumeStore> volumes_;
  // No berth-netd: containers get loopback only.
  ContainerNetwork network_{nullptr};
  std::unique_ptr<ContainerCore> core_;
  std::unique_ptr<ContainerFs> fs_;
};

TEST_F(ContainerFsTest, ChangesLeaveOutTheMountTargets) {
  std::string id = Create("box");
  absl::StatusOr<std::vector<Change>> changes = fs_->Changes("box");
  ASSERT_TRUE(changes.ok()) << changes.status();
  // /etc/hosts, /.dockerenv, /dev/console...: the init layer's, not the
  // container's.
  EXPECT_TRUE(changes->empty());
  MakeChanges(id);
  changes = fs_->Changes("box");
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_EQ(*changes, (std::vector<Change>{{"/etc", ChangeKind::kModified},
                                           {"/etc/base", ChangeKind::kDeleted},
                                           {"/etc/new", ChangeKind::kAdded}}));
  EXPECT_EQ(fs_->Changes("nosuch").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ContainerFsTest, CopyInAndOut) {
  std::string id = Create("box");
  StringSource tar(testing::BuildTar({testing::File("in.txt", "from host")}));
  v1::ArchivePutOptions put;
  put.set_id("box");
  put.set_path("/etc");
  put.set_no_overwrite_dir_non_dir(true);
  ASSERT_TRUE(fs_->Extract(put, tar).ok());
  EXPECT_EQ(ReadFile(driver_->DiffDir(id) + "/etc/in.txt").value_or(""),
            "from host");

  absl::StatusOr<PathStat> stat = fs_->Stat("box", "/etc/in.txt");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->name, "in.txt");
  EXPECT_EQ(stat->size, 9);
  StringSink out;
  bool stat_first = false;
  ASSERT_TRUE(fs_->Archive("box", "/etc/in.txt", out,
                           [&](const PathStat& s) {
                             stat_first = out.data().empty();
                             EXPECT_EQ(s.name, "in.txt");
                             return absl::OkStatus();
                           })
                  .ok());
  EXPECT_TRUE(stat_first);
  std::vector<testing::TarEntry> entries = testing::ReadTar(out.data());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "in.txt");
  EXPECT_EQ(entries[0].data, "from host");

  // dockerd's words for what is not there, naming the container as given.
  absl::Status missing = fs_->Stat("box", "/nope").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(),
            "Could not find the file /nope in container box");
  StringSink ignored;
  EXPECT_EQ(fs_->Archive("box", "/nope", ignored, nullptr).message(),
            "Could not find the file /nope in container box");
  put.set_path("/nodir");
  StringSource again(testing::BuildTar({testing::File("x", "x")}));
  EXPECT_EQ(fs_->Extract(put, again).message(),
            "Could not find the file /nodir in container box");
}

TEST_F(ContainerFsTest, ReadOnlyRootfsRefusesCopyIn) {
  Create("ro", /*read_only=*/true);
  StringSource tar(testing::BuildTar({testing::File("in.txt", "x")}));
  v1::ArchivePutOptions put;
  put.set_id("ro");
  put.set_path("/etc");
  absl::Status status = fs_->Extract(put, tar);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "container rootfs is marked read-only");
  // Reading is fine.
  EXPECT_TRUE(fs_->Stat("ro", "/etc/keep").ok());
}

TEST_F(ContainerFsTest, ExportHasTheWholeFilesystem) {
  std::string id = Create("box");
  MakeChanges(id);
  StringSink out;
  ASSERT_TRUE(fs_->Export("box", out).ok());
  std::vector<std::string> names;
  for (const testing::TarEntry& entry : testing::ReadTar(out.data())) {
    names.push_back(entry.name);
  }
  auto has = [&](const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  EXPECT_TRUE(has("etc/keep"));
  EXPECT_TRUE(has("etc/new"));
  EXPECT_TRUE(has("etc/hosts"));
  EXPECT_FALSE(has("etc/base"));
}

TEST_F(ContainerFsTest, CommitMakesAChildImageOfTheChanges) {
  std::string id = Create("box");
  MakeChanges(id);
  v1::CommitRequest request;
  request.set_id("box");
  request.set_repo("committed");
  request.set_comment("why");
  request.set_pause(true);  // not running: nothing to pause
  request.add_changes("CMD [\"cat\", \"/etc/new\"]");
  absl::StatusOr<v1::CommitReply> reply =
      CommitContainer(*core_, *fs_, *images_, request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  absl::StatusOr<Image> image = images_->Resolve("committed:latest");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->id.ToString(), reply->id());
  EXPECT_EQ(image->diff_ids.size(), 2u);
  const nlohmann::json& config = image->config;
  EXPECT_EQ(config["config"]["Cmd"], nlohmann::json({"cat", "/etc/new"}));
  EXPECT_EQ(config["container"], id);
  EXPECT_EQ(config["history"].back()["created_by"], "sh -c make changes");
  // The new image's filesystem: the base, the change, no mount targets.
  absl::StatusOr<std::string> top = images_->TopLayerId(*image);
  ASSERT_TRUE(top.ok());
  std::string dir = driver_->DiffDir(*top);
  struct stat st;
  EXPECT_EQ(ReadFile(dir + "/etc/new").value_or(""), "new");
  EXPECT_EQ(ReadFile(dir + "/etc/keep").value_or(""), "keep");
  EXPECT_NE(lstat((dir + "/etc/base").c_str(), &st), 0);
  EXPECT_NE(lstat((dir + "/etc/hosts").c_str(), &st), 0);
  EXPECT_NE(lstat((dir + "/.dockerenv").c_str(), &st), 0);

  request.set_config_json("{not json");
  EXPECT_EQ(CommitContainer(*core_, *fs_, *images_, request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ContainerFsTest, ALeaseKeepsTheContainer) {
  std::string id = Create("box");
  absl::StatusOr<ContainerFsLease> lease = core_->AcquireFs("box", "export");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(lease->id, id);
  EXPECT_EQ(lease->init_layer, id + "-init");
  v1::RemoveContainerRequest remove;
  remove.set_id("box");
  remove.set_force(true);
  absl::Status refused = core_->Remove(remove);
  EXPECT_EQ(refused.code(), absl::StatusCode::kAborted) << refused;
  core_->ReleaseFs(*lease);
  EXPECT_TRUE(core_->Remove(remove).ok());
  EXPECT_FALSE(driver_->Exists(id));
}

}  // namespace
}  // namespace berth
