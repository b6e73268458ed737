#include "services/daemon/volumes/local_mount.h"

#include <sys/mount.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace berth {
namespace {

struct Call {
  std::string source, target, fstype;
  unsigned long flags;
  std::string data;
};

class RecordingMountOps : public MountOps {
 public:
  absl::Status Mount(const std::string& source, const std::string& target,
                     const std::string& fstype, unsigned long flags,
                     const std::string& data) override {
    mounts.push_back({source, target, fstype, flags, data});
    if (fail_at == static_cast<int>(mounts.size())) {
      return absl::PermissionDeniedError("mount: denied");
    }
    return absl::OkStatus();
  }
  absl::Status Unmount(const std::string& target, int flags) override {
    unmounts.push_back(target);
    return absl::OkStatus();
  }
  std::vector<Call> mounts;
  std::vector<std::string> unmounts;
  int fail_at = 0;
};

TEST(MountLocalTest, SplitsOIntoFlagsAndFilesystemData) {
  RecordingMountOps ops;
  ASSERT_TRUE(MountLocal(ops, "tmpfs", "/v/_data", "tmpfs",
                         ",size=64m,uid=1000,ro,rw,noexec,exec,nosuid,,")
                  .ok());
  ASSERT_EQ(ops.mounts.size(), 1u);
  // Later words undo earlier ones; empty words are skipped.
  EXPECT_EQ(ops.mounts[0].flags, static_cast<unsigned long>(MS_NOSUID));
  EXPECT_EQ(ops.mounts[0].data, "size=64m,uid=1000");
}

TEST(MountLocalTest, PropagationIsASecondCall) {
  RecordingMountOps ops;
  ASSERT_TRUE(
      MountLocal(ops, "/srv", "/v/_data", "none", "rbind,rshared").ok());
  ASSERT_EQ(ops.mounts.size(), 2u);
  EXPECT_EQ(ops.mounts[0].flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(ops.mounts[0].data, "");
  EXPECT_EQ(ops.mounts[1].flags,
            static_cast<unsigned long>(MS_SHARED | MS_REC));
}

TEST(MountLocalTest, TmpfsIsOneMount) {
  RecordingMountOps ops;
  ASSERT_TRUE(MountLocal(ops, "tmpfs", "/v/_data", "tmpfs", "size=64m").ok());
  ASSERT_EQ(ops.mounts.size(), 1u);
  EXPECT_EQ(ops.mounts[0].source, "tmpfs");
  EXPECT_EQ(ops.mounts[0].target, "/v/_data");
  EXPECT_EQ(ops.mounts[0].fstype, "tmpfs");
  EXPECT_EQ(ops.mounts[0].flags, 0u);
  EXPECT_EQ(ops.mounts[0].data, "size=64m");
}

TEST(MountLocalTest, ReadOnlyBindIsRemounted) {
  RecordingMountOps ops;
  ASSERT_TRUE(MountLocal(ops, "/src", "/v/_data", "none", "bind,ro").ok());
  ASSERT_EQ(ops.mounts.size(), 2u);
  EXPECT_EQ(ops.mounts[0].flags,
            static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  EXPECT_EQ(ops.mounts[1].flags,
            static_cast<unsigned long>(MS_REMOUNT | MS_BIND | MS_RDONLY));
  EXPECT_EQ(ops.mounts[1].target, "/v/_data");
}

TEST(MountLocalTest, PlainBindNeedsNoRemount) {
  RecordingMountOps ops;
  ASSERT_TRUE(MountLocal(ops, "/src", "/v/_data", "none", "bind").ok());
  EXPECT_EQ(ops.mounts.size(), 1u);
}

TEST(MountLocalTest, PropagationIsSetAfterwards) {
  RecordingMountOps ops;
  ASSERT_TRUE(MountLocal(ops, "/src", "/v/_data", "none", "bind,slave").ok());
  ASSERT_EQ(ops.mounts.size(), 2u);
  EXPECT_EQ(ops.mounts[1].flags, static_cast<unsigned long>(MS_SLAVE));
}

TEST(MountLocalTest, AFailedFollowUpUnmounts) {
  RecordingMountOps ops;
  ops.fail_at = 2;
  absl::Status status = MountLocal(ops, "/src", "/v/_data", "none", "bind,ro");
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_EQ(ops.unmounts, std::vector<std::string>{"/v/_data"});
}

TEST(MountLocalTest, AFailedMountLeavesNothingToUndo) {
  RecordingMountOps ops;
  ops.fail_at = 1;
  EXPECT_FALSE(MountLocal(ops, "tmpfs", "/v/_data", "tmpfs", "").ok());
  EXPECT_TRUE(ops.unmounts.empty());
}

}  // namespace
}  // namespace berth
