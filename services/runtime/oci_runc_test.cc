// WriteOciConfig's bundles must run under runc too (the daemon may use
// either runtime). Needs root and /usr/sbin/runc; skipped without them.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "services/runtime/capabilities.h"
#include "services/runtime/defaults.h"
#include "services/runtime/oci_config.h"
#include "services/runtime/test_rootfs.h"

namespace berth::runtime {
namespace {

constexpr char kRunc[] = "/usr/sbin/runc";

// Runs runc with `args`; returns its exit code and fills `out` with its
// stdout and stderr.
int RunRunc(const std::vector<std::string>& args, std::string* out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kRunc));
    for (const std::string& arg : args) {
      argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    execv(kRunc, argv.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out->append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(OciRuncTest, RuncRunsTheWrittenBundle) {
  struct stat st;
  if (geteuid() != 0 || stat(kRunc, &st) != 0 ||
      stat(testing::kBusybox, &st) != 0) {
    GTEST_SKIP() << "needs root, runc and busybox-static";
  }
  berth::testing::TempDir temp;
  std::string bundle = temp.Join("bundle");
  ASSERT_TRUE(MakeDirs(bundle + "/rootfs").ok());
  ASSERT_TRUE(testing::MakeBusyboxRootfs(bundle + "/rootfs").ok());

  Spec spec;
  spec.rootfs = bundle + "/rootfs";
  spec.hostname = "runc-box";
  spec.mounts = DefaultMounts();
  spec.masked_paths = DefaultMaskedPaths();
  spec.readonly_paths = DefaultReadonlyPaths();
  spec.namespaces = DefaultNamespaces();
  spec.process.args = {"sh", "-c",
                       "hostname; grep Seccomp: /proc/self/status; "
                       "mount -t tmpfs x /mnt || echo no-mount; exit 3"};
  spec.process.env = {"PATH=/bin"};
  spec.process.capabilities = DockerDefaultCapabilities();
  spec.process.seccomp_default = true;
  spec.process.no_new_privileges = true;
  spec.process.rlimits = {{RLIMIT_NOFILE, 1024, 1024}};
  std::string parent = absl::StrCat("/berth-test-", getpid());
  spec.cgroups_path = parent + "/runc";
  spec.resources.memory_limit = 64 << 20;
  spec.resources.pids_limit = 50;
  ASSERT_TRUE(
      WriteFileAtomic(bundle + "/config.json", WriteOciConfig(spec, "rootfs"))
          .ok());

  std::string state = temp.Join("runc-state");
  std::string id = absl::StrCat("berth-test-", getpid());
  std::string out;
  int code = RunRunc({"--root", state, "run", "--bundle", bundle, id}, &out);
  std::string ignored;
  RunRunc({"--root", state, "delete", "--force", id}, &ignored);
  // runc also used the named systemd and the unified hierarchies: clean
  // every cgroup mount, not just berth's layout.
  for (const std::filesystem::directory_entry& entry :
       std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    rmdir((entry.path().string() + spec.cgroups_path).c_str());
    rmdir((entry.path().string() + parent).c_str());
  }
  rmdir(("/sys/fs/cgroup" + spec.cgroups_path).c_str());
  rmdir(("/sys/fs/cgroup" + parent).c_str());

  EXPECT_EQ(code, 3) << out;
  EXPECT_NE(out.find("runc-box\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Seccomp:\t2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("no-mount\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::runtime
