// LinuxCgroup's v2 file handling against a fake cgroup tree in a temp dir:
// no root, no kernel.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/runtime/linux_cgroup.h"

namespace berth::runtime {
namespace {

class FakeV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.Join("cgroup");
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    Write("cgroup.controllers", "cpuset cpu io memory pids\n");
    Write("cgroup.subtree_control", "");
    Write("cpuset.cpus.effective", "0-3\n");
    Write("cpuset.mems.effective", "0\n");
    layout_.unified = true;
    CgroupHierarchy hierarchy;
    hierarchy.mount_point = root_;
    hierarchy.root = "/";
    hierarchy.controllers = {"cpuset", "cpu", "io", "memory", "pids"};
    layout_.hierarchies.push_back(hierarchy);
  }

  // Cgroup files exist from the kernel's side; a fake needs them made.
  void MakeLeaf(const std::string& name, std::vector<std::string> files) {
    ASSERT_EQ(mkdir((root_ + "/" + name).c_str(), 0755), 0);
    for (const std::string& file : files) Write(name + "/" + file, "");
  }
  void Write(const std::string& file, const std::string& text) {
    std::ofstream(root_ + "/" + file) << text;
  }
  std::string Read(const std::string& file) {
    std::ifstream in(root_ + "/" + file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  bool Exists(const std::string& file) {
    struct stat st;
    return stat((root_ + "/" + file).c_str(), &st) == 0;
  }

  berth::testing::TempDir dir_;
  std::string root_;
  CgroupLayout layout_;
};

TEST_F(FakeV2Test, WritesV2Files) {
  MakeLeaf("a", {"memory.max", "memory.swap.max", "cpu.weight", "cpu.max",
                 "pids.max", "cpuset.cpus", "cpuset.mems"});
  Resources r;
  r.memory_limit = 64 << 20;
  r.memory_swap = 96 << 20;
  r.cpu_shares = 1024;
  r.cpu_quota = 25000;
  r.pids_limit = 10;
  r.cpuset_cpus = "1-2";
  r.cpuset_mems = "0";
  absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
      LinuxCgroup::CreateWithLayout(layout_, "/a", r);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  EXPECT_TRUE((*cgroup)->unified());
  EXPECT_EQ(Read("a/memory.max"), "67108864");
  EXPECT_EQ(Read("a/memory.swap.max"), "33554432");
  EXPECT_EQ(Read("a/cpu.weight"), "39");
  EXPECT_EQ(Read("a/cpu.max"), "25000 100000");
  EXPECT_EQ(Read("a/pids.max"), "10");
  EXPECT_EQ(Read("a/cpuset.cpus"), "1-2");
  // The root enabled controllers for its children.
  EXPECT_EQ(Read("cgroup.subtree_control").substr(0, 1), "+");
}

TEST_F(FakeV2Test, CpusOutsideTheParentAreInvalid) {
  MakeLeaf("a", {"cpuset.cpus"});
  Resources r;
  r.cpuset_cpus = "2-7";
  absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
      LinuxCgroup::CreateWithLayout(layout_, "/a", r);
  ASSERT_EQ(cgroup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cgroup.status().message(),
            "Requested CPUs are not available - requested 2-7, available: "
            "0-3");
  EXPECT_EQ(Read("a/cpuset.cpus"), "");
}

TEST_F(FakeV2Test, MissingControllerFileFailsAndRemovesWhatItMade) {
  Resources r;
  r.pids_limit = 5;
  absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
      LinuxCgroup::CreateWithLayout(layout_, "/b/c", r);
  ASSERT_EQ(cgroup.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(cgroup.status().message().find("pids.max"),
            absl::string_view::npos);
  EXPECT_FALSE(Exists("b"));
}

TEST_F(FakeV2Test, MissingSwapFileIsIgnored) {
  MakeLeaf("a", {"memory.max"});
  Resources r;
  r.memory_limit = 1 << 20;
  r.memory_swap = 2 << 20;
  ASSERT_TRUE(LinuxCgroup::CreateWithLayout(layout_, "/a", r).ok());
  EXPECT_EQ(Read("a/memory.max"), "1048576");
  EXPECT_FALSE(Exists("a/memory.swap.max"));
}

TEST_F(FakeV2Test, InvalidResourcesCreateNothing) {
  Resources r;
  r.cpu_period = 5;
  EXPECT_EQ(LinuxCgroup::CreateWithLayout(layout_, "/z", r).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Exists("z"));
}

TEST_F(FakeV2Test, OpenAndStats) {
  EXPECT_EQ(LinuxCgroup::OpenWithLayout(layout_, "/nope").status().code(),
            absl::StatusCode::kNotFound);
  MakeLeaf("a", {});
  Write("a/memory.current", "4096\n");
  Write("a/memory.max", "max\n");
  Write("a/cpu.stat", "usage_usec 7\nuser_usec 5\n");
  Write("a/pids.current", "3\n");
  Write("a/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
  Write("a/cgroup.procs", "12\n34\n");
  absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
      LinuxCgroup::OpenWithLayout(layout_, "/a");
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  absl::StatusOr<CgroupStats> stats = (*cgroup)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->memory_usage_bytes, 4096u);
  EXPECT_FALSE(stats->memory_limit_bytes.has_value());
  EXPECT_EQ(stats->cpu_usage_ns, 7000u);
  EXPECT_EQ(stats->pids_current, 3u);
  EXPECT_EQ(*(*cgroup)->OomKilled(), true);
  EXPECT_EQ((*cgroup)->Pids(), (std::vector<pid_t>{12, 34}));
}

TEST_F(FakeV2Test, RootOfTheHierarchyIsRefused) {
  EXPECT_EQ(LinuxCgroup::CreateWithLayout(layout_, "/", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::runtime
