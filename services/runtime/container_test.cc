// System tests of the native runtime: real containers from a busybox-static
// rootfs. Needs root, namespaces and cgroups; every container runs in a
// cgroup under a unique /berth-test-<pid> parent, removed even on failure.
#include "services/runtime/container.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "services/runtime/capabilities.h"
#include "services/runtime/defaults.h"
#include "services/runtime/linux_cgroup.h"
#include "services/runtime/test_rootfs.h"

namespace berth::runtime {
namespace {

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string Trimmed(const std::string& text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) abort();
    read_ = fds[0];
    write_ = fds[1];
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  int read_fd() const { return read_; }
  int write_fd() const { return write_; }
  void CloseRead() {
    if (read_ >= 0) close(read_);
    read_ = -1;
  }
  void CloseWrite() {
    if (write_ >= 0) close(write_);
    write_ = -1;
  }

 private:
  int read_ = -1;
  int write_ = -1;
};

struct RunResult {
  absl::Status status;
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root";
    }
    if (!Exists(testing::kBusybox)) {
      GTEST_SKIP() << "needs busybox-static";
    }
    rootfs_ = temp_.Join("rootfs");
    ASSERT_EQ(mkdir(rootfs_.c_str(), 0755), 0);
    ASSERT_TRUE(testing::MakeBusyboxRootfs(rootfs_).ok());
    absl::StatusOr<CgroupLayout> layout = DetectCgroupLayout();
    ASSERT_TRUE(layout.ok()) << layout.status();
    layout_ = *layout;
    cgroup_parent_ = absl::StrCat("/berth-test-", getpid());
  }

  void TearDown() override {
    for (pid_t pid : children_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    for (const std::string& path : cgroups_) {
      absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
          LinuxCgroup::OpenWithLayout(layout_, path);
      if (cgroup.ok()) {
        EXPECT_TRUE((*cgroup)->Destroy().ok());
      }
    }
    for (const CgroupHierarchy& h : layout_.hierarchies) {
      absl::StatusOr<std::string> dir = CgroupDir(h, cgroup_parent_);
      if (dir.ok()) rmdir(dir->c_str());
    }
  }

  // Docker's defaults, the test's own cgroup, default seccomp.
  Spec MakeSpec(std::vector<std::string> args) {
    Spec spec;
    spec.rootfs = rootfs_;
    spec.hostname = "berth-test";
    spec.mounts = DefaultMounts();
    spec.masked_paths = DefaultMaskedPaths();
    spec.readonly_paths = DefaultReadonlyPaths();
    spec.namespaces = DefaultNamespaces();
    spec.process.args = std::move(args);
    spec.process.env = {"PATH=/bin", "HOME=/root"};
    spec.process.capabilities = DockerDefaultCapabilities();
    spec.process.seccomp_default = true;
    // Far above this machine's hard limit: it must be clamped, not fail.
    spec.process.rlimits = {{RLIMIT_NOFILE, 1048576, 1048576}};
    spec.cgroups_path = absl::StrCat(
        cgroup_parent_, "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-",
        cgroups_.size());
    cgroups_.push_back(spec.cgroups_path);
    return spec;
  }

  absl::StatusOr<pid_t> Spawn(const Spec& spec, const Stdio& stdio) {
    absl::StatusOr<pid_t> pid = SpawnContainer(spec, stdio);
    if (pid.ok()) children_.insert(*pid);
    return pid;
  }

  int Wait(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    children_.erase(pid);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  }

  RunResult Run(const Spec& spec) {
    Pipe out;
    Pipe err;
    RunResult result;
    absl::StatusOr<pid_t> pid =
        Spawn(spec, {-1, out.write_fd(), err.write_fd()});
    out.CloseWrite();
    err.CloseWrite();
    result.status = pid.status();
    if (!pid.ok()) return result;
    result.out = ReadAll(out.read_fd());
    result.err = ReadAll(err.read_fd());
    result.exit_code = Wait(*pid);
    return result;
  }

  std::string CgroupFile(const std::string& cgroups_path,
                         const std::string& controller,
                         const std::string& file) {
    absl::StatusOr<std::unique_ptr<LinuxCgroup>> cgroup =
        LinuxCgroup::OpenWithLayout(layout_, cgroups_path);
    if (!cgroup.ok()) return "<" + cgroup.status().ToString() + ">";
    absl::StatusOr<std::string> text =
        ReadFile((*cgroup)->DirFor(controller) + "/" + file);
    return text.ok() ? Trimmed(*text) : "<" + text.status().ToString() + ">";
  }

  bool CgroupGone(const std::string& cgroups_path) {
    for (const CgroupHierarchy& h : layout_.hierarchies) {
      if (Exists(*CgroupDir(h, cgroups_path))) return false;
    }
    return true;
  }

  // No child process left over (the test reaps all its own).
  static bool NoChildren() {
    return waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
  }

  berth::testing::TempDir temp_;
  std::string rootfs_;
  CgroupLayout layout_;
  std::string cgroup_parent_;
  std::vector<std::string> cgroups_;
  std::set<pid_t> children_;
};

TEST_F(ContainerTest, ExitCodePropagates) {
  RunResult result = Run(MakeSpec({"sh", "-c", "exit 7"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.exit_code, 7);
}

TEST_F(ContainerTest, StdoutAndStderrAreTheCallersPipes) {
  RunResult result =
      Run(MakeSpec({"sh", "-c", "echo hello; echo oops >&2; cat </dev/null"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "hello\n");
  EXPECT_EQ(result.err, "oops\n");
  EXPECT_EQ(result.exit_code, 0);
}

TEST_F(ContainerTest, IsPidOneAndSeesOnlyItsOwnProcesses) {
  RunResult result = Run(MakeSpec(
      {"sh", "-c", "echo $$; for p in /proc/[0-9]*; do echo $p; done"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "1\n/proc/1\n");
}

TEST_F(ContainerTest, HostnameIsSet) {
  char host[256] = {};
  gethostname(host, sizeof(host));
  RunResult result = Run(MakeSpec({"hostname"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "berth-test\n");
  char after[256] = {};
  gethostname(after, sizeof(after));
  EXPECT_STREQ(host, after);
}

TEST_F(ContainerTest, CannotMount) {
  RunResult result = Run(
      MakeSpec({"sh", "-c", "mount -t tmpfs x /mnt && echo mounted; exit 0"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("ermission denied"), std::string::npos)
      << result.err;
}

TEST_F(ContainerTest, MknodIsAllowedButOtherDevicesStayClosed) {
  if (layout_.unified) {
    GTEST_SKIP() << "no device filter on cgroup v2 yet";
  }
  // /dev/fuse: a host device outside the default allow list that root
  // can open here (unlike the disks of this VM).
  struct stat fuse;
  if (stat("/dev/fuse", &fuse) != 0) {
    GTEST_SKIP() << "no /dev/fuse";
  }
  std::string node =
      absl::StrCat("c ", major(fuse.st_rdev), " ", minor(fuse.st_rdev));
  std::vector<std::string> args = {
      "sh", "-c",
      "mknod /dev/f " + node + " && echo made; " +
          "if (exec 3</dev/f) 2>/dev/null; then echo opened; else echo " +
          "denied; fi; head -c1 /dev/zero | wc -c"};
  RunResult result = Run(MakeSpec(args));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "made\ndenied\n1\n") << result.err;
  // Without a cgroup nothing stops it: the check above means something.
  Spec no_cgroup = MakeSpec(args);
  no_cgroup.cgroups_path.clear();
  RunResult unconfined = Run(no_cgroup);
  EXPECT_EQ(unconfined.out, "made\nopened\n1\n") << unconfined.err;
}

TEST_F(ContainerTest, ProcSysIsReadOnly) {
  RunResult result = Run(MakeSpec(
      {"sh", "-c", "echo pwned > /proc/sys/kernel/hostname && echo wrote"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("Read-only file system"), std::string::npos)
      << result.err;
}

TEST_F(ContainerTest, MaskedPathsAreEmpty) {
  // Both have content on the host.
  absl::StatusOr<std::string> timers = ReadFile("/proc/timer_list");
  ASSERT_TRUE(timers.ok() && !timers->empty());
  RunResult result = Run(MakeSpec(
      {"sh", "-c", "wc -c < /proc/timer_list; ls /sys/firmware | wc -l"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "0\n0\n") << result.err;
}

TEST_F(ContainerTest, ReadonlyRootfsRefusesWrites) {
  Spec spec = MakeSpec({"sh", "-c", "touch /newfile && echo wrote"});
  spec.rootfs_readonly = true;
  RunResult result = Run(spec);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(result.out, "");
  EXPECT_FALSE(Exists(rootfs_ + "/newfile"));
  // /dev is its own tmpfs and stays writable.
  Spec dev = MakeSpec({"sh", "-c", "echo x > /dev/shm/f && cat /dev/shm/f"});
  dev.rootfs_readonly = true;
  EXPECT_EQ(Run(dev).out, "x\n");
}

TEST_F(ContainerTest, UserAndGroupsApplied) {
  Spec spec = MakeSpec(
      {"sh", "-c", "id -u; id -g; id -G; grep CapEff /proc/self/status"});
  spec.process.uid = 1000;
  spec.process.gid = 1000;
  spec.process.additional_gids = {10};
  RunResult result = Run(spec);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "1000\n1000\n1000 10\nCapEff:\t0000000000000000\n");
}

TEST_F(ContainerTest, RootGetsDockersCapabilities) {
  RunResult result =
      Run(MakeSpec({"sh", "-c", "grep -E 'Cap(Eff|Bnd)' /proc/self/status"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  char expected[128];
  unsigned long long mask = CapabilityMask(DockerDefaultCapabilities());
  snprintf(expected, sizeof(expected), "CapEff:\t%016llx\nCapBnd:\t%016llx\n",
           mask, mask);
  EXPECT_EQ(result.out, expected);
}

TEST_F(ContainerTest, RlimitsAreClamped) {
  struct rlimit nofile;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile), 0);
  RunResult result = Run(MakeSpec({"sh", "-c", "ulimit -n"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, absl::StrCat(nofile.rlim_max, "\n"));
}

TEST_F(ContainerTest, WorkdirIsCreatedForTheUser) {
  Spec spec = MakeSpec({"pwd"});
  spec.process.cwd = "/work/dir";
  spec.process.uid = 1000;
  spec.process.gid = 1000;
  RunResult result = Run(spec);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "/work/dir\n");
  struct stat st;
  ASSERT_EQ(stat((rootfs_ + "/work/dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
}

TEST_F(ContainerTest, MemoryLimitFreezeAndThaw) {
  Spec spec = MakeSpec(
      {"sh", "-c",
       "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || "
       "cat /sys/fs/cgroup/memory.max; while read line; do echo $line; "
       "done"});
  spec.resources.memory_limit = 64 << 20;
  Pipe in;
  Pipe out;
  absl::StatusOr<pid_t> pid = Spawn(spec, {in.read_fd(), out.write_fd(), -1});
  ASSERT_TRUE(pid.ok()) << pid.status();
  in.CloseRead();
  out.CloseWrite();
  std::string limit_file =
      layout_.unified ? "memory.max" : "memory.limit_in_bytes";
  EXPECT_EQ(CgroupFile(spec.cgroups_path, "memory", limit_file), "67108864");

  absl::StatusOr<std::unique_ptr<Cgroup>> cgroup =
      LinuxCgroup::Open(spec.cgroups_path);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  std::vector<pid_t> pids = (*cgroup)->Pids();  // the init, maybe its cat
  EXPECT_NE(std::find(pids.begin(), pids.end(), *pid), pids.end());
  ASSERT_TRUE((*cgroup)->Freeze().ok());
  if (!layout_.unified) {
    EXPECT_EQ(CgroupFile(spec.cgroups_path, "freezer", "freezer.state"),
              "FROZEN");
  }
  ASSERT_TRUE((*cgroup)->Thaw().ok());
  ASSERT_EQ(write(in.write_fd(), "ping\n", 5), 5);
  in.CloseWrite();
  // The container saw its own limit through /sys/fs/cgroup, then echoed.
  EXPECT_EQ(ReadAll(out.read_fd()), "67108864\nping\n");
  EXPECT_EQ(Wait(*pid), 0);
  absl::StatusOr<CgroupStats> stats = (*cgroup)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->memory_limit_bytes, 64u << 20);
  EXPECT_TRUE((*cgroup)->Destroy().ok());
  EXPECT_TRUE(CgroupGone(spec.cgroups_path));
}

TEST_F(ContainerTest, OomKilled) {
  Spec spec = MakeSpec(
      {"sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1; exit 0"});
  spec.resources.memory_limit = 16 << 20;
  spec.resources.memory_swap = 16 << 20;
  RunResult result = Run(spec);
  ASSERT_TRUE(result.status.ok()) << result.status;
  absl::StatusOr<std::unique_ptr<Cgroup>> cgroup =
      LinuxCgroup::Open(spec.cgroups_path);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  absl::StatusOr<bool> killed = (*cgroup)->OomKilled();
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_TRUE(*killed) << result.err;
}

TEST_F(ContainerTest, ExecutableNotFound) {
  Spec spec = MakeSpec({"no-such-program"});
  RunResult result = Run(spec);
  EXPECT_EQ(result.status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(result.status.message(),
            "exec: \"no-such-program\": executable file not found in $PATH");
  EXPECT_TRUE(CgroupGone(spec.cgroups_path));
  EXPECT_TRUE(NoChildren());

  RunResult absolute = Run(MakeSpec({"/bin/nope"}));
  EXPECT_EQ(absolute.status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(absolute.status.message(),
            "exec: \"/bin/nope\": stat /bin/nope: no such file or directory");
}

TEST_F(ContainerTest, NotExecutableIsPermissionDenied) {
  Spec dir = MakeSpec({"/etc"});
  RunResult result = Run(dir);
  EXPECT_EQ(result.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(result.status.message(), "exec: \"/etc\": permission denied");
  EXPECT_TRUE(CgroupGone(dir.cgroups_path));
  EXPECT_TRUE(NoChildren());
  RunResult file = Run(MakeSpec({"/etc/passwd"}));
  EXPECT_EQ(file.status.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ContainerTest, BadWorkdirFailsNamingIt) {
  Spec spec = MakeSpec({"true"});
  spec.process.cwd = "/etc/passwd/sub";
  RunResult result = Run(spec);
  EXPECT_EQ(result.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status.message().find("/etc/passwd/sub"),
            absl::string_view::npos)
      << result.status;
  EXPECT_TRUE(CgroupGone(spec.cgroups_path));
  EXPECT_TRUE(NoChildren());
}

TEST_F(ContainerTest, BadMountFailsAndLeavesNothing) {
  Spec spec = MakeSpec({"true"});
  spec.mounts.push_back({"/x", "nosuchfs", "none", {}});
  RunResult result = Run(spec);
  EXPECT_EQ(result.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status.message().find("on /x"), absl::string_view::npos)
      << result.status;
  EXPECT_TRUE(CgroupGone(spec.cgroups_path));
  EXPECT_TRUE(NoChildren());
}

TEST_F(ContainerTest, BadCpusetFailsBeforeCloning) {
  Spec spec = MakeSpec({"true"});
  spec.resources.cpuset_cpus = "999";
  RunResult result = Run(spec);
  EXPECT_EQ(result.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CgroupGone(spec.cgroups_path));
}

TEST_F(ContainerTest, ResourcesNeedACgroupPath) {
  Spec spec = MakeSpec({"true"});
  spec.cgroups_path.clear();
  spec.resources.pids_limit = 10;
  EXPECT_EQ(Run(spec).status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ContainerTest, BindMountFromTheHost) {
  std::string data = temp_.Join("data");
  ASSERT_EQ(mkdir(data.c_str(), 0755), 0);
  std::ofstream(data + "/file") << "from host";
  Spec spec =
      MakeSpec({"sh", "-c", "cat /data/file; touch /data/x || echo ro"});
  spec.mounts.push_back({"/data", "bind", data, {"rbind", "ro", "rprivate"}});
  RunResult result = Run(spec);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, "from hostro\n");
  EXPECT_FALSE(Exists(data + "/x"));
}

TEST_F(ContainerTest, SymlinkedMountTargetStaysInTheRootfs) {
  std::string outside = temp_.Join("outside");
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(symlink(outside.c_str(), (rootfs_ + "/evil").c_str()), 0);
  Spec spec = MakeSpec({"true"});
  spec.mounts.push_back({"/evil/mnt", "tmpfs", "tmpfs", {}});
  RunResult result = Run(spec);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_FALSE(Exists(outside + "/mnt"));
  EXPECT_TRUE(Exists(rootfs_ + outside + "/mnt"));
}

TEST_F(ContainerTest, TerminalIsTheControllingTty) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  Spec spec =
      MakeSpec({"sh", "-c",
                "[ -t 0 ] && echo tty; [ -c /dev/console ] && echo console; "
                "echo hi > /dev/tty && exit 3"});
  spec.process.terminal = true;
  absl::StatusOr<pid_t> pid = Spawn(spec, {slave, slave, slave});
  close(slave);
  ASSERT_TRUE(pid.ok()) << pid.status();
  std::string out = ReadAll(master);  // EIO once the slave side is gone
  close(master);
  EXPECT_EQ(Wait(*pid), 3);
  EXPECT_EQ(out, "tty\r\nconsole\r\nhi\r\n");
}

TEST_F(ContainerTest, JoinsANetworkNamespaceByPath) {
  Pipe in;
  absl::StatusOr<pid_t> first =
      Spawn(MakeSpec({"sh", "-c", "read x || true"}), {in.read_fd(), -1, -1});
  ASSERT_TRUE(first.ok()) << first.status();
  in.CloseRead();
  std::string ns_path = absl::StrCat("/proc/", *first, "/ns/net");
  char target[64] = {};
  ASSERT_GT(readlink(ns_path.c_str(), target, sizeof(target) - 1), 0);

  Spec spec = MakeSpec({"readlink", "/proc/self/ns/net"});
  for (NamespaceSpec& ns : spec.namespaces) {
    if (ns.clone_flag == CLONE_NEWNET) ns.path = ns_path;
  }
  RunResult result = Run(spec);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out, absl::StrCat(target, "\n"));
  in.CloseWrite();
  EXPECT_EQ(Wait(*first), 0);
}

class ExecTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped()) return;
    // berth-shim is a subreaper; so is this test process.
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    init_spec_ = MakeSpec({"sh", "-c", "read x || true"});
    absl::StatusOr<pid_t> init = Spawn(init_spec_, {in_.read_fd(), -1, -1});
    ASSERT_TRUE(init.ok()) << init.status();
    init_ = *init;
    in_.CloseRead();
  }
  void TearDown() override {
    in_.CloseWrite();
    if (init_ > 0) {
      EXPECT_EQ(Wait(init_), 0);
    }
    ContainerTest::TearDown();
  }

  RunResult Exec(const Process& process) {
    Pipe out;
    Pipe err;
    RunResult result;
    absl::StatusOr<pid_t> pid =
        SpawnInContainer(init_, process, {-1, out.write_fd(), err.write_fd()},
                         init_spec_.cgroups_path);
    out.CloseWrite();
    err.CloseWrite();
    result.status = pid.status();
    if (!pid.ok()) return result;
    children_.insert(*pid);
    result.out = ReadAll(out.read_fd());
    result.err = ReadAll(err.read_fd());
    result.exit_code = Wait(*pid);
    return result;
  }

  Process MakeProcess(std::vector<std::string> args) {
    Process process = init_spec_.process;
    process.args = std::move(args);
    process.rlimits.clear();
    return process;
  }

  Spec init_spec_;
  Pipe in_;
  pid_t init_ = -1;
};

TEST_F(ExecTest, RunsInsideTheContainer) {
  RunResult result = Exec(MakeProcess(
      {"sh", "-c",
       "echo $$; hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; "
       "set -- /proc/[0-9]*; echo $#; exit 5"}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.exit_code, 5);
  std::vector<std::string> lines = absl::StrSplit(result.out, '\n');
  ASSERT_GE(lines.size(), 4u) << result.out;
  EXPECT_NE(lines[0], "1");
  EXPECT_EQ(lines[1], "berth-test");
  EXPECT_EQ(lines[2], "sh -c read x || true ");
  EXPECT_EQ(lines[3], "2");  // the init and the exec'd shell
}

TEST_F(ExecTest, JoinsTheCgroupAndAppliesTheUser) {
  Process process = MakeProcess({"sh", "-c", "id -u; cat /proc/self/cgroup"});
  process.uid = 1000;
  process.gid = 1000;
  RunResult result = Exec(process);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.out.substr(0, 5), "1000\n");
  EXPECT_NE(result.out.find(init_spec_.cgroups_path), std::string::npos)
      << result.out;
}

TEST_F(ExecTest, ErrorsAreReported) {
  RunResult missing = Exec(MakeProcess({"nope"}));
  EXPECT_EQ(missing.status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status.message(),
            "exec: \"nope\": executable file not found in $PATH");
  RunResult denied = Exec(MakeProcess({"/etc"}));
  EXPECT_EQ(denied.status.code(), absl::StatusCode::kPermissionDenied);
  Process bad_cwd = MakeProcess({"true"});
  bad_cwd.cwd = "/no/such/dir";  // exec does not create it, as Docker
  RunResult cwd = Exec(bad_cwd);
  EXPECT_EQ(cwd.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cwd.status.message(),
            "chdir to cwd (\"/no/such/dir\") set in config.json failed: No "
            "such file or directory");
  // Only the init is left.
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), 0);
}

TEST_F(ExecTest, NeedsALiveInit) {
  EXPECT_EQ(SpawnInContainer(999999999, MakeProcess({"true"}), {}, "")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth::runtime
