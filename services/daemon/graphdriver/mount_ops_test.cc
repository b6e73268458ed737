#include "services/daemon/graphdriver/mount_ops.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"

namespace berth {
namespace {

class RecordingMountOps : public MountOps {
 public:
  absl::Status Mount(const std::string&, const std::string&, const std::string&,
                     unsigned long, const std::string&) override {
    return absl::UnimplementedError("no mounts here");
  }
  absl::Status Unmount(const std::string& target, int flags) override {
    unmounted.push_back(target);
    return absl::OkStatus();
  }
  std::vector<std::string> unmounted;
};

TEST(MountOpsTest, IsMountPoint) {
  EXPECT_TRUE(IsMountPoint("/").value_or(false));
  berth::testing::TempDir tmp;
  EXPECT_FALSE(IsMountPoint(tmp.path()).value_or(true));
  EXPECT_FALSE(IsMountPoint(tmp.Join("missing")).value_or(true));
}

TEST(MountOpsTest, ListMountPointsHasRoot) {
  auto points = ListMountPoints();
  ASSERT_TRUE(points.ok()) << points.status();
  EXPECT_NE(std::find(points->begin(), points->end(), "/"), points->end());
}

TEST(MountOpsTest, UnmountAllUnderTouchesNothingElse) {
  berth::testing::TempDir tmp;
  RecordingMountOps ops;
  EXPECT_TRUE(UnmountAllUnder(tmp.path(), ops).ok());
  EXPECT_TRUE(ops.unmounted.empty());
}

// Real mounts: a tmpfs with a space in its path (escaped as \040 in
// mountinfo) and one nested in it.
TEST(MountOpsTest, UnmountAllUnderUndoesNestedMounts) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  berth::testing::TempDir tmp;
  SystemMountOps ops;
  std::string outer = tmp.Join("a dir");
  ASSERT_EQ(mkdir(outer.c_str(), 0700), 0);
  ASSERT_TRUE(ops.Mount("tmpfs", outer, "tmpfs", 0, "size=1m").ok());
  std::string inner = outer + "/inner";
  bool inner_ok = mkdir(inner.c_str(), 0700) == 0 &&
                  ops.Mount("tmpfs", inner, "tmpfs", 0, "size=1m").ok();
  EXPECT_TRUE(inner_ok);
  EXPECT_TRUE(IsMountPoint(outer).value_or(false));
  EXPECT_EQ(IsMountPoint(inner).value_or(false), inner_ok);
  absl::Status status = UnmountAllUnder(tmp.path(), ops);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_FALSE(IsMountPoint(outer).value_or(true));
  EXPECT_FALSE(IsMountPoint(inner).value_or(true));
  // Last resort so TempDir never deletes through a mount.
  umount2(inner.c_str(), MNT_DETACH);
  umount2(outer.c_str(), MNT_DETACH);
}

}  // namespace
}  // namespace berth
