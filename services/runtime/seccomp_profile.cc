#include "services/runtime/seccomp_profile.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"

namespace berth::runtime {
namespace {

// Owns a libseccomp filter context.
class ScmpContext {
 public:
  explicit ScmpContext(scmp_filter_ctx ctx) : ctx_(ctx) {}
  ~ScmpContext() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  ScmpContext(const ScmpContext&) = delete;
  ScmpContext& operator=(const ScmpContext&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

absl::Status ScmpError(int rc, absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("seccomp: ", what, ": ", strerror(-rc)));
}

absl::Status AddRule(scmp_filter_ctx ctx, uint32_t action,
                     const std::string& name, unsigned arg_count,
                     const scmp_arg_cmp* args) {
  int nr = seccomp_syscall_resolve_name(name.c_str());
  // Unknown to every architecture in the filter (e.g. a syscall newer than
  // libseccomp): nothing to refuse.
  if (nr == __NR_SCMP_ERROR) return absl::OkStatus();
  int rc = seccomp_rule_add_array(ctx, action, nr, arg_count, args);
  if (rc != 0) return ScmpError(rc, absl::StrCat("add rule for ", name));
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& BlockedSyscalls() {
  static const auto* const kBlocked = new std::vector<std::string>{
      "_sysctl",
      "acct",
      "add_key",
      "bpf",
      "clock_adjtime",
      "clock_adjtime64",
      "clock_settime",
      "clock_settime64",
      "create_module",
      "delete_module",
      "finit_module",
      "fsconfig",
      "fsmount",
      "fsopen",
      "fspick",
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
      "mount_setattr",
      "move_mount",
      "move_pages",
      "name_to_handle_at",
      "nfsservctl",
      "open_by_handle_at",
      "open_tree",
      "perf_event_open",
      "pivot_root",
      "process_vm_readv",
      "process_vm_writev",
      "query_module",
      "quotactl",
      "quotactl_fd",
      "reboot",
      "request_key",
      "set_mempolicy",
      "setns",
      "settimeofday",
      "stime",
      "swapoff",
      "swapon",
      "sysfs",
      "umount",
      "umount2",
      "unshare",
      "uselib",
      "userfaultfd",
      "ustat",
      "vm86",
      "vm86old",
  };
  return *kBlocked;
}

const std::vector<std::string>& EnosysSyscalls() {
  static const auto* const kEnosys = new std::vector<std::string>{"clone3"};
  return *kEnosys;
}

const std::vector<uint64_t>& BlockedCloneFlags() {
  // CLONE_NEWTIME is left out: for clone(2) its bit is part of the exit
  // signal.
  static const auto* const kFlags = new std::vector<uint64_t>{
      CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
      CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
  };
  return *kFlags;
}

const std::vector<std::string>& SeccompArchitectures() {
  static const auto* const kArches = new std::vector<std::string>{
      "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  return *kArches;
}

absl::StatusOr<SeccompProgram> CompileDefaultSeccomp() {
  ScmpContext ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (ctx.get() == nullptr) {
    return absl::InternalError("seccomp: seccomp_init failed");
  }
  // 32-bit syscalls on x86_64 are another way in; cover them like runc does
  // with Docker's architectures list.
  if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
      int rc = seccomp_arch_add(ctx.get(), arch);
      if (rc != 0 && rc != -EEXIST) return ScmpError(rc, "add architecture");
    }
  }
  for (const std::string& name : BlockedSyscalls()) {
    absl::Status status =
        AddRule(ctx.get(), SCMP_ACT_ERRNO(EPERM), name, 0, nullptr);
    if (!status.ok()) return status;
  }
  for (const std::string& name : EnosysSyscalls()) {
    absl::Status status =
        AddRule(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), name, 0, nullptr);
    if (!status.ok()) return status;
  }
  for (uint64_t flag : BlockedCloneFlags()) {
    scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag);
    absl::Status status =
        AddRule(ctx.get(), SCMP_ACT_ERRNO(EPERM), "clone", 1, &cmp);
    if (!status.ok()) return status;
  }

  int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx.get(), fd);
  if (rc != 0) {
    close(fd);
    return ScmpError(rc, "export BPF");
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size % sizeof(sock_filter) != 0) {
    close(fd);
    return absl::InternalError("seccomp: exported BPF has a bad size");
  }
  SeccompProgram program;
  program.filter.resize(st.st_size / sizeof(sock_filter));
  ssize_t n = pread(fd, program.filter.data(), st.st_size, 0);
  close(fd);
  if (n != st.st_size) {
    return absl::InternalError("seccomp: short read of the exported BPF");
  }
  return program;
}

int LoadSeccompProgram(const SeccompProgram& program) {
  sock_fprog prog = {};
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<sock_filter*>(program.filter.data());
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    return errno;
  }
  return 0;
}

absl::Status LoadDefaultSeccomp() {
  absl::StatusOr<SeccompProgram> program = CompileDefaultSeccomp();
  if (!program.ok()) return program.status();
  int err = LoadSeccompProgram(*program);
  if (err == EACCES) {
    return absl::FailedPreconditionError(
        "seccomp: loading a filter needs no_new_privs or CAP_SYS_ADMIN");
  }
  if (err != 0) return ErrnoStatus(err, "seccomp: load filter");
  return absl::OkStatus();
}

}  // namespace berth::runtime
