// Needs root and a real cgroup filesystem: creates cgroups under a unique
// /berth-test-<pid> parent in every hierarchy and removes them, even when
// a test fails.
#include "services/runtime/linux_cgroup.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"

namespace berth::runtime {
namespace {

std::string ReadTrimmed(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return "<" + std::string(text.status().message()) + ">";
  return std::string(absl::StripAsciiWhitespace(*text));
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// A child that waits on a pipe: alive until we say so or kill it.
class Sleeper {
 public:
  // Runs `after_go` (if any) once released, then exits 0.
  explicit Sleeper(void (*after_go)() = nullptr) {
    int fds[2];
    if (pipe(fds) != 0) abort();
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[1]);
      char c;
      if (read(fds[0], &c, 1) == 1 && after_go != nullptr) after_go();
      _exit(0);
    }
    close(fds[0]);
    go_ = fds[1];
  }
  ~Sleeper() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    close(go_);
  }
  pid_t pid() const { return pid_; }
  void Go() {
    if (write(go_, "g", 1) != 1) abort();
  }
  // The wait status; the child is reaped.
  int Wait() {
    int status = 0;
    if (pid_ > 0) waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
};

class LinuxCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root";
    }
    absl::StatusOr<CgroupLayout> layout = DetectCgroupLayout();
    ASSERT_TRUE(layout.ok()) << layout.status();
    layout_ = *layout;
    parent_ = absl::StrCat("/berth-test-", getpid());
    path_ = parent_ + "/x";
  }

  void TearDown() override {
    for (const CgroupLayout* layout : {&layout_, &unified_layout_}) {
      for (const std::string& path : {path_, parent_ + "/y"}) {
        absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
            LinuxCgroup::OpenWithLayout(*layout, path);
        if (cgroup.ok()) (*cgroup)->Destroy().IgnoreError();
      }
      for (const CgroupHierarchy& h : layout->hierarchies) {
        absl::StatusOr<std::string> dir = CgroupDir(h, parent_);
        if (dir.ok()) rmdir(dir->c_str());
      }
    }
  }

  std::unique_ptr<LinuxCgroup> MustCreate(
      const Resources& resources, const CgroupLayout* layout = nullptr) {
    absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
        LinuxCgroup::CreateWithLayout(layout ? *layout : layout_, path_,
                                      resources);
    EXPECT_TRUE(cgroup.ok()) << cgroup.status();
    return cgroup.ok() ? std::move(*cgroup) : nullptr;
  }

  CgroupLayout layout_;
  CgroupLayout unified_layout_;
  std::string parent_;
  std::string path_;
};

TEST_F(LinuxCgroupTest, CreateWritesTheLimits) {
  Resources r;
  r.memory_limit = 64 << 20;
  r.memory_swap = 128 << 20;
  r.cpu_shares = 512;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.pids_limit = 100;
  r.cpuset_cpus = "0";
  std::unique_ptr<LinuxCgroup> cgroup = MustCreate(r);
  ASSERT_NE(cgroup, nullptr);
  if (cgroup->unified()) {
    std::string dir = cgroup->DirFor("memory");
    EXPECT_EQ(ReadTrimmed(dir + "/memory.max"), "67108864");
    EXPECT_EQ(ReadTrimmed(dir + "/cpu.weight"), "20");
    EXPECT_EQ(ReadTrimmed(dir + "/cpu.max"), "50000 100000");
    EXPECT_EQ(ReadTrimmed(dir + "/pids.max"), "100");
    EXPECT_EQ(ReadTrimmed(dir + "/cpuset.cpus"), "0");
    return;
  }
  std::string memory = cgroup->DirFor("memory");
  EXPECT_EQ(ReadTrimmed(memory + "/memory.limit_in_bytes"), "67108864");
  if (Exists(memory + "/memory.memsw.limit_in_bytes")) {
    EXPECT_EQ(ReadTrimmed(memory + "/memory.memsw.limit_in_bytes"),
              "134217728");
  }
  std::string cpu = cgroup->DirFor("cpu");
  EXPECT_EQ(ReadTrimmed(cpu + "/cpu.shares"), "512");
  EXPECT_EQ(ReadTrimmed(cpu + "/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(ReadTrimmed(cpu + "/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(ReadTrimmed(cgroup->DirFor("pids") + "/pids.max"), "100");
  EXPECT_EQ(ReadTrimmed(cgroup->DirFor("cpuset") + "/cpuset.cpus"), "0");
  // mems were inherited from the parent, or nothing could run in it.
  EXPECT_NE(ReadTrimmed(cgroup->DirFor("cpuset") + "/cpuset.mems"), "");
  std::string devices =
      ReadTrimmed(cgroup->DirFor("devices") + "/devices.list");
  EXPECT_EQ(devices.find("a *:* rwm"), std::string::npos) << devices;
  EXPECT_NE(devices.find("c 1:3 rwm"), std::string::npos) << devices;
}

TEST_F(LinuxCgroupTest, ProcessLifecycle) {
  std::unique_ptr<LinuxCgroup> cgroup = MustCreate({});
  ASSERT_NE(cgroup, nullptr);
  Sleeper child;
  ASSERT_TRUE(cgroup->AddProcess(child.pid()).ok());
  EXPECT_EQ(cgroup->Pids(), std::vector<pid_t>{child.pid()});
  std::string proc_cgroup =
      ReadTrimmed(absl::StrCat("/proc/", child.pid(), "/cgroup"));
  EXPECT_NE(proc_cgroup.find(path_), std::string::npos) << proc_cgroup;

  ASSERT_TRUE(cgroup->Freeze().ok());
  if (!cgroup->unified()) {
    EXPECT_EQ(ReadTrimmed(cgroup->DirFor("freezer") + "/freezer.state"),
              "FROZEN");
  }
  ASSERT_TRUE(cgroup->Thaw().ok());
  if (!cgroup->unified()) {
    EXPECT_EQ(ReadTrimmed(cgroup->DirFor("freezer") + "/freezer.state"),
              "THAWED");
  }

  absl::StatusOr<CgroupStats> stats = cgroup->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->pids_current, 1u);
  EXPECT_FALSE(stats->memory_limit_bytes.has_value());
  EXPECT_FALSE(stats->pids_limit.has_value());
  // Both versions' memory.stat name the anonymous memory.
  EXPECT_TRUE(stats->memory_stat.contains(cgroup->unified() ? "anon" : "rss"));
  EXPECT_EQ(*cgroup->OomKilled(), false);

  // Destroy kills what is left, even frozen, and removes every directory.
  ASSERT_TRUE(cgroup->Freeze().ok());
  ASSERT_TRUE(cgroup->Destroy().ok());
  int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  for (const LinuxCgroup::Dir& dir : cgroup->dirs()) {
    EXPECT_FALSE(Exists(dir.path)) << dir.path;
  }
  EXPECT_TRUE(cgroup->Destroy().ok());  // idempotent
  EXPECT_TRUE(cgroup->Pids().empty());
  EXPECT_EQ(LinuxCgroup::OpenWithLayout(layout_, path_).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LinuxCgroupTest, OpenFindsAnExistingCgroup) {
  std::unique_ptr<LinuxCgroup> cgroup = MustCreate({});
  ASSERT_NE(cgroup, nullptr);
  Sleeper child;
  ASSERT_TRUE(cgroup->AddProcess(child.pid()).ok());
  absl::StatusOr<std::unique_ptr<Cgroup>> opened = LinuxCgroup::Open(path_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->path(), path_);
  EXPECT_EQ((*opened)->Pids(), std::vector<pid_t>{child.pid()});
  EXPECT_TRUE((*opened)->Destroy().ok());
}

TEST_F(LinuxCgroupTest, CpusetOutsideTheHostIsInvalidAndLeavesNothing) {
  Resources r;
  r.cpuset_cpus = "1000";
  absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
      LinuxCgroup::CreateWithLayout(layout_, path_, r);
  ASSERT_EQ(cgroup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(cgroup.status().message().find("requested 1000"),
            absl::string_view::npos)
      << cgroup.status();
  for (const CgroupHierarchy& h : layout_.hierarchies) {
    EXPECT_FALSE(Exists(*CgroupDir(h, parent_))) << *CgroupDir(h, parent_);
  }
}

void TouchLotsOfMemory() {
  for (int i = 0; i < 64; ++i) {
    char* block = static_cast<char*>(malloc(1 << 20));
    if (block == nullptr) _exit(3);
    memset(block, i + 1, 1 << 20);
  }
}

TEST_F(LinuxCgroupTest, OomKilledAfterAMemoryHog) {
  Resources r;
  r.memory_limit = 8 << 20;
  r.memory_swap = 8 << 20;  // no swap to escape to
  std::unique_ptr<LinuxCgroup> cgroup = MustCreate(r);
  ASSERT_NE(cgroup, nullptr);
  Sleeper hog(&TouchLotsOfMemory);
  ASSERT_TRUE(cgroup->AddProcess(hog.pid()).ok());
  EXPECT_EQ(*cgroup->OomKilled(), false);
  hog.Go();
  int status = hog.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  absl::StatusOr<bool> killed = cgroup->OomKilled();
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_TRUE(*killed);
  EXPECT_TRUE(cgroup->Destroy().ok());
}

// The v2 core (processes, freeze, kill, removal) on a real cgroup2 mount,
// whichever layout this machine has: on a hybrid one, the unified
// hierarchy without controllers.
TEST_F(LinuxCgroupTest, UnifiedHierarchyCore) {
  absl::StatusOr<std::string> mountinfo = ReadFile("/proc/self/mountinfo");
  ASSERT_TRUE(mountinfo.ok());
  std::string mount_point = "/sys/fs/cgroup";
  if (!layout_.unified) mount_point = "/sys/fs/cgroup/unified";
  if (!Exists(mount_point + "/cgroup.procs") ||
      !Exists(mount_point + "/cgroup.controllers")) {
    GTEST_SKIP() << "no cgroup2 mount";
  }
  absl::StatusOr<CgroupLayout> layout = ParseCgroupLayout(
      *mountinfo, ReadTrimmed("/proc/self/cgroup"), mount_point);
  ASSERT_TRUE(layout.ok()) << layout.status();
  ASSERT_TRUE(layout->unified);
  unified_layout_ = *layout;
  std::unique_ptr<LinuxCgroup> cgroup = MustCreate({}, &unified_layout_);
  ASSERT_NE(cgroup, nullptr);
  ASSERT_TRUE(cgroup->unified());
  Sleeper child;
  ASSERT_TRUE(cgroup->AddProcess(child.pid()).ok());
  EXPECT_EQ(cgroup->Pids(), std::vector<pid_t>{child.pid()});
  ASSERT_TRUE(cgroup->Freeze().ok());
  std::string events = ReadTrimmed(cgroup->dirs()[0].path + "/cgroup.events");
  EXPECT_NE(events.find("frozen 1"), std::string::npos) << events;
  ASSERT_TRUE(cgroup->Thaw().ok());
  events = ReadTrimmed(cgroup->dirs()[0].path + "/cgroup.events");
  EXPECT_NE(events.find("frozen 0"), std::string::npos) << events;
  ASSERT_TRUE(cgroup->Destroy().ok());
  int status = child.Wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_FALSE(Exists(cgroup->dirs()[0].path));
}

}  // namespace
}  // namespace berth::runtime
