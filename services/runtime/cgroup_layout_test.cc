#include "services/runtime/cgroup_layout.h"

#include "gtest/gtest.h"

namespace berth::runtime {
namespace {

// This machine kind: v1 controllers, cpu and cpuacct apart, a named
// systemd hierarchy and cgroup2 at /sys/fs/cgroup/unified.
constexpr char kHybridMountInfo[] =
    "22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup "
    "rw,cpuacct\n"
    "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup "
    "rw,cpuset\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime shared:5 - cgroup cgroup "
    "rw,memory\n"
    "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup "
    "rw,devices\n"
    "36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup "
    "rw,freezer\n"
    "37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "90 22 0:31 /docker /mnt/memory\\040copy rw - cgroup cgroup rw,memory\n";

constexpr char kHybridSelfCgroup[] =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/abc\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

TEST(CgroupLayoutTest, Hybrid) {
  absl::StatusOr<CgroupLayout> layout =
      ParseCgroupLayout(kHybridMountInfo, kHybridSelfCgroup);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_FALSE(layout->unified);
  ASSERT_EQ(layout->hierarchies.size(), 8u);
  const CgroupHierarchy* memory = nullptr;
  for (const CgroupHierarchy& h : layout->hierarchies) {
    if (h.Has("memory")) memory = &h;
    EXPECT_FALSE(h.Has("name=systemd"));
  }
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->mount_point, "/sys/fs/cgroup/memory");  // the first one
  EXPECT_EQ(memory->own_path, "/process_api/abc");
  EXPECT_EQ(*CgroupDir(*memory, "/berth/x"), "/sys/fs/cgroup/memory/berth/x");
  EXPECT_EQ(*CgroupDir(*memory, "x"),
            "/sys/fs/cgroup/memory/process_api/abc/x");
}

TEST(CgroupLayoutTest, CoMountedControllers) {
  absl::StatusOr<CgroupLayout> layout = ParseCgroupLayout(
      "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup "
      "rw,cpu,cpuacct\n",
      "1:cpu,cpuacct:/a\n");
  ASSERT_TRUE(layout.ok());
  ASSERT_EQ(layout->hierarchies.size(), 1u);
  EXPECT_EQ(layout->hierarchies[0].controllers,
            (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(layout->hierarchies[0].own_path, "/a");
}

TEST(CgroupLayoutTest, PureV2) {
  absl::StatusOr<CgroupLayout> layout = ParseCgroupLayout(
      "30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n",
      "0::/user.slice/session-1.scope\n");
  ASSERT_TRUE(layout.ok());
  EXPECT_TRUE(layout->unified);
  ASSERT_EQ(layout->hierarchies.size(), 1u);
  EXPECT_EQ(*CgroupDir(layout->hierarchies[0], "/berth/x"),
            "/sys/fs/cgroup/berth/x");
  EXPECT_EQ(*CgroupDir(layout->hierarchies[0], "x"),
            "/sys/fs/cgroup/user.slice/session-1.scope/x");
}

TEST(CgroupLayoutTest, InsideACgroupNamespaceRelativePathsStayBelowTheRoot) {
  CgroupHierarchy h;
  h.mount_point = "/sys/fs/cgroup/memory";
  h.root = "/docker/abc";
  h.own_path = "/docker/abc/sub";
  EXPECT_EQ(*CgroupDir(h, "x"), "/sys/fs/cgroup/memory/sub/x");
}

TEST(CgroupLayoutTest, BadPaths) {
  CgroupHierarchy h;
  h.mount_point = "/sys/fs/cgroup/memory";
  EXPECT_EQ(CgroupDir(h, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CgroupDir(h, "system.slice:berth:abc").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*CgroupDir(h, "/../../etc"), "/sys/fs/cgroup/memory/etc");
}

TEST(CgroupLayoutTest, NothingMounted) {
  EXPECT_EQ(ParseCgroupLayout("22 1 0:21 / / rw - ext4 /dev/vda rw\n", "")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CgroupLayoutTest, ThisMachine) {
  absl::StatusOr<CgroupLayout> layout = DetectCgroupLayout();
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_FALSE(layout->hierarchies.empty());
}

}  // namespace
}  // namespace berth::runtime
