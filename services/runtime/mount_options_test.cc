#include "services/runtime/mount_options.h"

#include <sys/mount.h>

#include "gtest/gtest.h"

namespace berth::runtime {
namespace {

TEST(MountOptionsTest, DockerDefaults) {
  absl::StatusOr<MountOptions> dev =
      ParseMountOptions({"nosuid", "strictatime", "mode=755", "size=65536k"});
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->flags, MS_NOSUID | MS_STRICTATIME);
  EXPECT_EQ(dev->data, "mode=755,size=65536k");
  EXPECT_EQ(dev->propagation, 0u);

  absl::StatusOr<MountOptions> pts =
      ParseMountOptions({"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                         "mode=0620", "gid=5"});
  ASSERT_TRUE(pts.ok());
  EXPECT_EQ(pts->flags, MS_NOSUID | MS_NOEXEC);
  EXPECT_EQ(pts->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");

  absl::StatusOr<MountOptions> sys =
      ParseMountOptions({"nosuid", "noexec", "nodev", "ro"});
  ASSERT_TRUE(sys.ok());
  EXPECT_EQ(sys->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
  EXPECT_EQ(sys->data, "");
}

TEST(MountOptionsTest, BindsAndPropagation) {
  absl::StatusOr<MountOptions> bind =
      ParseMountOptions({"rbind", "ro", "rprivate"});
  ASSERT_TRUE(bind.ok());
  EXPECT_EQ(bind->flags, MS_BIND | MS_REC | MS_RDONLY);
  EXPECT_EQ(bind->propagation, MS_PRIVATE | MS_REC);

  absl::StatusOr<MountOptions> last_wins =
      ParseMountOptions({"bind", "shared", "rslave"});
  ASSERT_TRUE(last_wins.ok());
  EXPECT_EQ(last_wins->flags, MS_BIND);
  EXPECT_EQ(last_wins->propagation, MS_SLAVE | MS_REC);
}

TEST(MountOptionsTest, NegationsClear) {
  absl::StatusOr<MountOptions> options =
      ParseMountOptions({"ro", "nosuid", "nodev", "noexec", "rw", "suid", "dev",
                         "exec", "relatime", "norelatime", "noatime", "atime"});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->flags, 0u);
}

TEST(MountOptionsTest, EmptyOptionIsInvalid) {
  EXPECT_EQ(ParseMountOptions({"ro", ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::runtime
