// OverlayDriver with real overlay mounts: needs root. Every mount is made
// under the test's own temp dir and undone in TearDown, even on failure.

#include "services/daemon/graphdriver/overlay_driver.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/graphdriver/fs_util.h"
#include "services/daemon/graphdriver/mount_ops.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool Mounted(const std::string& path) {
  absl::StatusOr<bool> mounted = IsMountPoint(path);
  EXPECT_TRUE(mounted.ok()) << mounted.status();
  return mounted.value_or(false);
}

class OverlayDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for overlay mounts";
    root_ = tmp_.Join("graph");
    if (!OverlaySupported(root_)) GTEST_SKIP() << "no overlay here";
    auto driver = OverlayDriver::New(root_, std::make_unique<SystemMountOps>());
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
  }

  void TearDown() override {
    driver_.reset();
    SystemMountOps ops;
    absl::Status status = UnmountAllUnder(tmp_.path(), ops);
    EXPECT_TRUE(status.ok()) << status;
    absl::StatusOr<bool> left = IsMountPoint(tmp_.path());
    EXPECT_FALSE(left.value_or(true));
  }

  void Write(const std::string& path, const std::string& contents) {
    ASSERT_TRUE(WriteFileAtomic(path, contents).ok()) << path;
  }
  std::string Read(const std::string& path) {
    return ReadFile(path).value_or("<missing>");
  }

  // base: a="base a", b="base b", d/x; child: c, a="child a", whiteout b.
  void MakeBaseAndChild() {
    ASSERT_TRUE(driver_->Create("base", "").ok());
    std::string base = driver_->DiffDir("base");
    Write(base + "/a", "base a");
    Write(base + "/b", "base b");
    ASSERT_EQ(mkdir((base + "/d").c_str(), 0755), 0);
    Write(base + "/d/x", "x");
    absl::Status status = driver_->Create("child", "base");
    ASSERT_TRUE(status.ok()) << status;
    std::string child = driver_->DiffDir("child");
    Write(child + "/c", "child c");
    Write(child + "/a", "child a");
    ASSERT_EQ(mknod((child + "/b").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  }

  berth::testing::TempDir tmp_;
  std::string root_;
  std::unique_ptr<OverlayDriver> driver_;
};

TEST_F(OverlayDriverTest, GetMountsTheMergedViewAndPutUnmounts) {
  MakeBaseAndChild();
  absl::StatusOr<std::string> view = driver_->Get("child");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(*view, root_ + "/overlay/child/merged");
  EXPECT_TRUE(Mounted(*view));
  EXPECT_EQ(Read(*view + "/a"), "child a");
  EXPECT_EQ(Read(*view + "/c"), "child c");
  EXPECT_EQ(Read(*view + "/d/x"), "x");
  EXPECT_FALSE(PathExists(*view + "/b")) << "whiteout did not hide b";

  ASSERT_TRUE(driver_->Put("child").ok());
  EXPECT_FALSE(Mounted(*view));
  EXPECT_FALSE(PathExists(*view + "/a"));
}

TEST_F(OverlayDriverTest, BaseLayerIsItsDiffDirWithoutAMount) {
  MakeBaseAndChild();
  absl::StatusOr<std::string> view = driver_->Get("base");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(*view, driver_->DiffDir("base"));
  EXPECT_FALSE(Mounted(*view));
  EXPECT_TRUE(driver_->Put("base").ok());
}

TEST_F(OverlayDriverTest, NearestLowerLayerWins) {
  MakeBaseAndChild();
  ASSERT_TRUE(driver_->Create("top", "child").ok());
  Write(driver_->DiffDir("top") + "/t", "top");
  absl::StatusOr<std::string> view = driver_->Get("top");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(Read(*view + "/a"), "child a");
  EXPECT_EQ(Read(*view + "/t"), "top");
  EXPECT_FALSE(PathExists(*view + "/b"));
  // Writes land in top's diff dir only.
  Write(*view + "/new", "new");
  EXPECT_EQ(Read(driver_->DiffDir("top") + "/new"), "new");
  EXPECT_FALSE(PathExists(driver_->DiffDir("child") + "/new"));
  ASSERT_TRUE(driver_->Put("top").ok());
}

TEST_F(OverlayDriverTest, RefcountsGets) {
  MakeBaseAndChild();
  absl::StatusOr<std::string> first = driver_->Get("child");
  absl::StatusOr<std::string> second = driver_->Get("child");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
  ASSERT_TRUE(driver_->Put("child").ok());
  EXPECT_TRUE(Mounted(*first)) << "unmounted while still in use";
  EXPECT_EQ(Read(*first + "/c"), "child c");
  ASSERT_TRUE(driver_->Put("child").ok());
  EXPECT_FALSE(Mounted(*first));
  EXPECT_TRUE(absl::IsFailedPrecondition(driver_->Put("child")));
}

TEST_F(OverlayDriverTest, RemoveUnmountsAMountedLayer) {
  MakeBaseAndChild();
  absl::StatusOr<std::string> view = driver_->Get("child");
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_TRUE(Mounted(*view));
  absl::Status status = driver_->Remove("child");
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_FALSE(Mounted(*view));
  EXPECT_FALSE(PathExists(root_ + "/overlay/child"));
  EXPECT_FALSE(driver_->Exists("child"));
  // The base layer's data is untouched.
  EXPECT_EQ(Read(driver_->DiffDir("base") + "/b"), "base b");
  EXPECT_TRUE(driver_->Remove("child").ok());
}

TEST_F(OverlayDriverTest, GetReplacesAStaleMount) {
  MakeBaseAndChild();
  absl::StatusOr<std::string> view = driver_->Get("child");
  ASSERT_TRUE(view.ok()) << view.status();
  // A new daemon finds the mount of the one that died.
  auto ops = std::make_unique<SystemMountOps>();
  auto second = OverlayDriver::New(root_, std::move(ops));
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Get("child").ok());
  ASSERT_TRUE((*second)->Put("child").ok());
  EXPECT_FALSE(Mounted(*view));
}

TEST_F(OverlayDriverTest, RemoveTreeRefusesAMountPoint) {
  MakeBaseAndChild();
  absl::StatusOr<std::string> view = driver_->Get("child");
  ASSERT_TRUE(view.ok()) << view.status();
  absl::Status status = RemoveTree(root_ + "/overlay/child");
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("mount point"));
  // Nothing reached through the mount was deleted.
  EXPECT_EQ(Read(driver_->DiffDir("base") + "/a"), "base a");
  ASSERT_TRUE(driver_->Put("child").ok());
}

TEST_F(OverlayDriverTest, OverlaySupportedCleansUpAfterItself) {
  EXPECT_TRUE(OverlaySupported(root_));
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    EXPECT_EQ(entry.path().filename(), "overlay") << entry.path();
  }
  EXPECT_FALSE(Mounted(root_));
}

TEST_F(OverlayDriverTest, StatusReportsBackingFsAndDType) {
  auto rows = driver_->Status();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].first, "Backing Filesystem");
  EXPECT_EQ(rows[1], std::make_pair(std::string("Supports d_type"),
                                    std::string("true")));
}

}  // namespace
}  // namespace berth
