#include "services/runtime/seccomp_profile.h"

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "services/runtime/fork_helper.h"

namespace berth::runtime {
namespace {

using testing::RunInChild;

bool Blocked(const std::string& name) {
  const std::vector<std::string>& blocked = BlockedSyscalls();
  return std::find(blocked.begin(), blocked.end(), name) != blocked.end();
}

TEST(SeccompProfileTest, BlocksWhatDockerBlocks) {
  for (const char* name : {"acct",
                           "add_key",
                           "bpf",
                           "clock_adjtime",
                           "clock_settime",
                           "create_module",
                           "delete_module",
                           "finit_module",
                           "get_kernel_syms",
                           "get_mempolicy",
                           "init_module",
                           "ioperm",
                           "iopl",
                           "kcmp",
                           "kexec_file_load",
                           "kexec_load",
                           "keyctl",
                           "lookup_dcookie",
                           "mbind",
                           "mount",
                           "move_pages",
                           "name_to_handle_at",
                           "nfsservctl",
                           "open_by_handle_at",
                           "perf_event_open",
                           "pivot_root",
                           "process_vm_readv",
                           "process_vm_writev",
                           "query_module",
                           "quotactl",
                           "reboot",
                           "request_key",
                           "set_mempolicy",
                           "setns",
                           "settimeofday",
                           "stime",
                           "swapon",
                           "swapoff",
                           "sysfs",
                           "_sysctl",
                           "umount",
                           "umount2",
                           "unshare",
                           "uselib",
                           "userfaultfd",
                           "ustat",
                           "vm86",
                           "vm86old",
                           "open_tree",
                           "move_mount",
                           "fsopen",
                           "fsconfig",
                           "fsmount",
                           "fspick"}) {
    EXPECT_TRUE(Blocked(name)) << name;
  }
  // Docker allows these for an unprivileged container.
  for (const char* name : {"ptrace", "personality", "clone", "clone3"}) {
    EXPECT_FALSE(Blocked(name)) << name;
  }
  EXPECT_EQ(EnosysSyscalls(), std::vector<std::string>{"clone3"});
}

TEST(SeccompProfileTest, Compiles) {
  absl::StatusOr<SeccompProgram> program = CompileDefaultSeccomp();
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_GT(program->filter.size(), 50u);
}

TEST(SeccompProfileTest, LoadingNeedsNoNewPrivsWithoutCapSysAdmin) {
  int code = RunInChild([] {
    if (geteuid() == 0) return 0;  // root has CAP_SYS_ADMIN
    return LoadDefaultSeccomp().code() == absl::StatusCode::kFailedPrecondition
               ? 0
               : 1;
  });
  EXPECT_EQ(code, 0);
}

TEST(SeccompProfileTest, LoadedFilterRefusesAndAllows) {
  int code = RunInChild([] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 1;
    if (!LoadDefaultSeccomp().ok()) return 2;
    // Refused with EPERM even for root.
    if (syscall(SYS_unshare, CLONE_NEWNS) != -1 || errno != EPERM) return 3;
    if (mount("none", "/tmp", "tmpfs", 0, nullptr) != -1 || errno != EPERM) {
      return 4;
    }
    if (syscall(SYS_setns, 0, 0) != -1 || errno != EPERM) return 5;
    // clone3 says ENOSYS, so that glibc falls back to clone.
    clone_args args = {};
    args.exit_signal = SIGCHLD;
    if (syscall(SYS_clone3, &args, sizeof(args)) != -1 || errno != ENOSYS) {
      return 6;
    }
    // clone with a namespace flag: EPERM; a plain fork still works.
    if (syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0) != -1 ||
        errno != EPERM) {
      return 7;
    }
    pid_t pid = fork();
    if (pid == 0) _exit(42);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid ||
        WEXITSTATUS(status) != 42) {
      return 8;
    }
    if (getpid() <= 0) return 9;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace berth::runtime
