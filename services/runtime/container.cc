#include "services/runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/runtime/child_report.h"
#include "services/runtime/linux_cgroup.h"
#include "services/runtime/namespaces.h"
#include "services/runtime/process.h"
#include "services/runtime/rootfs.h"

namespace berth::runtime {
namespace {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) {
    Reset();
    fd_ = other.Release();
    return *this;
  }
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct NamespaceJoin {
  int flag = 0;
  UniqueFd fd;
  std::string path;  // for messages
};

// The two channels between parent and child: `sync` (a socketpair) lets
// the child go once it is in its cgroup, and carries the pid back from
// SpawnInContainer's intermediate; `report` (a CLOEXEC pipe) carries a
// ChildReport, or reads EOF once the process has exec'd.
struct Channels {
  UniqueFd sync_parent, sync_child, report_read, report_write;
};

absl::StatusOr<Channels> OpenChannels() {
  Channels channels;
  int sync[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0) {
    return ErrnoStatus(errno, "socketpair");
  }
  channels.sync_parent = UniqueFd(sync[0]);
  channels.sync_child = UniqueFd(sync[1]);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  channels.report_read = UniqueFd(report[0]);
  channels.report_write = UniqueFd(report[1]);
  return channels;
}

// Blocks every signal for its lifetime, so that a clone starts with none
// of the caller's handlers able to run until it has reset them.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old_);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

// fork-like: no CLONE_VM, so the child runs on a copy of this stack.
pid_t RawClone(unsigned long flags) {
  return static_cast<pid_t>(
      syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
}

void Reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void KillAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  Reap(pid);
}

bool SendGo(int fd) {
  char go = 'g';
  ssize_t n;
  do {
    n = send(fd, &go, 1, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

// Child side: blocks until the parent says go; false if it went away.
bool WaitGo(int fd) {
  char go;
  ssize_t n;
  do {
    n = read(fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

int JoinNamespaces(const std::vector<NamespaceJoin>& joins,
                   ChildReport* report) {
  for (const NamespaceJoin& join : joins) {
    if (setns(join.fd.get(), join.flag) != 0) {
      SetChildReport(report, ChildStage::kNamespaces, errno,
                     "join the %s namespace at %s",
                     OciNamespaceType(join.flag).data(), join.path.c_str());
      return -1;
    }
  }
  return 0;
}

absl::StatusOr<UniqueFd> OpenNamespace(const std::string& path, int flag) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    absl::Status status =
        ErrnoStatus(err, absl::StrCat("open the ", OciNamespaceType(flag),
                                      " namespace at ", path));
    if (err == ENOENT) return absl::NotFoundError(status.message());
    return status;
  }
  return UniqueFd(fd);
}

// --- SpawnContainer's child.

struct InitPlan {
  const RootfsPlan* rootfs = nullptr;
  const ProcessPlan* process = nullptr;
  Stdio stdio;
  const std::vector<NamespaceJoin>* joins = nullptr;
  bool unshare_cgroup = false;
  const std::string* hostname = nullptr;
};

int InitSteps(const InitPlan& plan, ChildReport* report) {
  if (JoinNamespaces(*plan.joins, report) != 0) return -1;
  // After the parent moved us into the cgroup: the namespace's root is
  // the container's cgroup.
  if (plan.unshare_cgroup && unshare(CLONE_NEWCGROUP) != 0) {
    SetChildReport(report, ChildStage::kNamespaces, errno,
                   "create a cgroup namespace");
    return -1;
  }
  if (SetupStdio(plan.stdio, plan.process->terminal, report) != 0) return -1;
  if (ApplyOomScoreAdj(*plan.process, report) != 0) return -1;
  if (ApplyRlimits(*plan.process, report) != 0) return -1;
  if (RootfsMount(*plan.rootfs, report) != 0) return -1;
  if (RootfsPivot(*plan.rootfs, report) != 0) return -1;
  if (RootfsFinish(*plan.rootfs, report) != 0) return -1;
  if (!plan.hostname->empty() &&
      sethostname(plan.hostname->data(), plan.hostname->size()) != 0) {
    SetChildReport(report, ChildStage::kHostname, errno,
                   "set the hostname to \"%s\"", plan.hostname->c_str());
    return -1;
  }
  FinishAndExec(*plan.process, report);
  return -1;
}

[[noreturn]] void RunInit(const InitPlan& plan, Channels& channels) {
  close(channels.sync_parent.Release());
  close(channels.report_read.Release());
  if (!WaitGo(channels.sync_child.get())) _exit(1);
  ChildReport report;
  InitSteps(plan, &report);
  SendChildReport(channels.report_write.get(), report);
  _exit(1);
}

// --- SpawnInContainer's children.

[[noreturn]] void RunExecIntermediate(const ProcessPlan& process,
                                      const Stdio& stdio,
                                      const std::vector<NamespaceJoin>& joins,
                                      Channels& channels) {
  close(channels.sync_parent.Release());
  close(channels.report_read.Release());
  if (!WaitGo(channels.sync_child.get())) _exit(1);
  ChildReport report;
  // Through the host's /proc, before the mount namespace changes it.
  if (ApplyOomScoreAdj(process, &report) != 0 ||
      ApplyRlimits(process, &report) != 0 ||
      JoinNamespaces(joins, &report) != 0) {
    SendChildReport(channels.report_write.get(), report);
    _exit(1);
  }
  // setns only moved our children's pid namespace: the process to run
  // must be one of them.
  pid_t pid = RawClone(0);
  if (pid < 0) {
    SetChildReport(&report, ChildStage::kFork, errno,
                   "fork into the container's pid namespace");
    SendChildReport(channels.report_write.get(), report);
    _exit(1);
  }
  if (pid == 0) {
    close(channels.sync_child.Release());
    if (SetupStdio(stdio, process.terminal, &report) == 0) {
      FinishAndExec(process, &report);
    }
    SendChildReport(channels.report_write.get(), report);
    _exit(1);
  }
  ssize_t n;
  do {
    n = write(channels.sync_child.get(), &pid, sizeof(pid));
  } while (n < 0 && errno == EINTR);
  _exit(n == sizeof(pid) ? 0 : 1);
}

}  // namespace

absl::StatusOr<pid_t> SpawnContainer(const Spec& spec, const Stdio& stdio) {
  unsigned long clone_flags = 0;
  bool unshare_cgroup = false;
  bool has_mount = false;
  bool has_uts = false;
  std::vector<NamespaceJoin> joins;
  UniqueFd pid_ns_join;
  std::string pid_ns_path;
  for (const NamespaceSpec& ns : spec.namespaces) {
    absl::string_view type = OciNamespaceType(ns.clone_flag);
    if (type.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown namespace flag 0x", absl::Hex(ns.clone_flag)));
    }
    if (ns.clone_flag == CLONE_NEWUSER) {
      return absl::UnimplementedError(
          "user namespaces are not supported by berth's runtime");
    }
    if (ns.clone_flag == CLONE_NEWNS) {
      has_mount = true;
      if (!ns.path.empty()) {
        return absl::UnimplementedError(absl::StrCat(
            "joining the mount namespace at ", ns.path,
            " is not supported: the container's filesystem is built in a "
            "new one"));
      }
    }
    if (ns.clone_flag == CLONE_NEWUTS) has_uts = true;
    if (ns.path.empty()) {
      if (ns.clone_flag == CLONE_NEWCGROUP) {
        unshare_cgroup = true;
      } else {
        clone_flags |= ns.clone_flag;
      }
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, OpenNamespace(ns.path, ns.clone_flag));
    if (ns.clone_flag == CLONE_NEWPID) {
      pid_ns_join = std::move(fd);
      pid_ns_path = ns.path;
    } else {
      joins.push_back({ns.clone_flag, std::move(fd), ns.path});
    }
  }
  if (!has_mount) {
    return absl::InvalidArgumentError(
        "the container needs a mount namespace: linux.namespaces has no "
        "\"mount\"");
  }
  if (!spec.hostname.empty() && !has_uts) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot set the hostname \"", spec.hostname,
                     "\" without a uts namespace"));
  }
  if (spec.process.terminal && stdio.in < 0) {
    return absl::InvalidArgumentError(
        "a terminal process needs the pty slave as its stdio");
  }
  struct stat st;
  if (stat(spec.rootfs.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("rootfs ", spec.rootfs, " does not exist"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rootfs ", spec.rootfs, " is not a directory"));
  }
  if (spec.cgroups_path.empty() && !spec.resources.empty()) {
    return absl::InvalidArgumentError(
        "resource limits need a cgroups path (linux.cgroupsPath)");
  }

  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ProcessPlan> process,
                         PlanProcess(spec.process, /*create_cwd=*/true));

  std::unique_ptr<LinuxCgroup> cgroup;
  CgroupMountSource cgroup_mount;
  if (!spec.cgroups_path.empty()) {
    BERTH_ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
    BERTH_ASSIGN_OR_RETURN(
        cgroup, LinuxCgroup::CreateWithLayout(layout, spec.cgroups_path,
                                              spec.resources));
    cgroup_mount.available = true;
    cgroup_mount.unified = cgroup->unified();
    cgroup_mount.new_namespace = unshare_cgroup;
    for (const LinuxCgroup::Dir& dir : cgroup->dirs()) {
      cgroup_mount.hierarchies.push_back({dir.controllers, dir.path});
    }
  }
  // From here on a failure removes the cgroup again.
  auto fail = [&](absl::Status status) -> absl::Status {
    if (cgroup != nullptr) cgroup->Destroy().IgnoreError();
    return status;
  };

  std::string console;
  if (spec.process.terminal) {
    char path[PATH_MAX] = {};
    std::string link = absl::StrCat("/proc/self/fd/", stdio.in);
    ssize_t n = readlink(link.c_str(), path, sizeof(path) - 1);
    if (n < 0) return fail(ErrnoStatus(errno, "readlink " + link));
    console.assign(path, n);
  }
  absl::StatusOr<RootfsPlan> rootfs = PlanRootfs(spec, cgroup_mount, console);
  if (!rootfs.ok()) return fail(rootfs.status());
  absl::StatusOr<Channels> channels = OpenChannels();
  if (!channels.ok()) return fail(channels.status());

  InitPlan plan;
  plan.rootfs = &*rootfs;
  plan.process = process.get();
  plan.stdio = stdio;
  plan.joins = &joins;
  plan.unshare_cgroup = unshare_cgroup;
  plan.hostname = &spec.hostname;

  pid_t pid;
  {
    SignalsBlocked blocked;
    // Joining a pid namespace only applies to children, and per thread:
    // enter it for the clone, then come back.
    UniqueFd own_pid_ns;
    if (pid_ns_join.get() >= 0) {
      own_pid_ns = UniqueFd(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
      if (own_pid_ns.get() < 0) {
        return fail(ErrnoStatus(errno, "open /proc/self/ns/pid"));
      }
      if (setns(pid_ns_join.get(), CLONE_NEWPID) != 0) {
        return fail(ErrnoStatus(
            errno, absl::StrCat("join the pid namespace at ", pid_ns_path)));
      }
    }
    pid = RawClone(clone_flags);
    if (pid == 0) RunInit(plan, *channels);
    int clone_errno = errno;
    if (own_pid_ns.get() >= 0) setns(own_pid_ns.get(), CLONE_NEWPID);
    if (pid < 0) {
      return fail(ErrnoStatus(clone_errno, "clone the container process"));
    }
  }
  channels->sync_child.Reset();
  channels->report_write.Reset();

  if (cgroup != nullptr) {
    absl::Status added = cgroup->AddProcess(pid);
    if (!added.ok()) {
      KillAndReap(pid);
      return fail(added);
    }
  }
  if (!SendGo(channels->sync_parent.get())) {
    KillAndReap(pid);
    return fail(absl::InternalError(
        "the container process died before it could start"));
  }
  absl::StatusOr<std::optional<ChildReport>> report =
      ReadChildReport(channels->report_read.get());
  if (!report.ok()) {
    KillAndReap(pid);
    return fail(report.status());
  }
  if (report->has_value()) {
    Reap(pid);
    return fail(ChildReportToStatus(**report));
  }
  return pid;
}

absl::StatusOr<pid_t> SpawnInContainer(pid_t init_pid, const Process& process,
                                       const Stdio& stdio,
                                       const std::string& cgroups_path) {
  int subreaper = 0;
  if (prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0) != 0 || !subreaper) {
    return absl::FailedPreconditionError(
        "SpawnInContainer needs the caller to be a child subreaper "
        "(prctl(PR_SET_CHILD_SUBREAPER, 1)), or the exec'd process could not "
        "be reaped by it");
  }
  if (init_pid <= 0 || (kill(init_pid, 0) != 0 && errno == ESRCH)) {
    return absl::NotFoundError(
        absl::StrCat("container init process ", init_pid, " is not running"));
  }
  if (process.terminal && stdio.in < 0) {
    return absl::InvalidArgumentError(
        "a terminal process needs the pty slave as its stdio");
  }
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ProcessPlan> plan,
                         PlanProcess(process, /*create_cwd=*/false));

  // The user namespace first (refused), mount last: after it, /proc paths
  // are the container's.
  std::vector<NamespaceJoin> joins;
  for (int flag : {CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET,
                   CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWNS}) {
    std::string name(NamespaceProcName(flag));
    std::string theirs = absl::StrCat("/proc/", init_pid, "/ns/", name);
    struct stat ours_st, theirs_st;
    if (stat(theirs.c_str(), &theirs_st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", theirs));
    }
    if (stat(absl::StrCat("/proc/self/ns/", name).c_str(), &ours_st) == 0 &&
        ours_st.st_ino == theirs_st.st_ino &&
        ours_st.st_dev == theirs_st.st_dev) {
      continue;  // shared with us: nothing to join
    }
    if (flag == CLONE_NEWUSER) {
      return absl::UnimplementedError(
          "the container has its own user namespace, which berth's runtime "
          "does not support");
    }
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, OpenNamespace(theirs, flag));
    joins.push_back({flag, std::move(fd), theirs});
  }

  std::unique_ptr<Cgroup> cgroup;
  if (!cgroups_path.empty()) {
    BERTH_ASSIGN_OR_RETURN(cgroup, LinuxCgroup::Open(cgroups_path));
  }
  BERTH_ASSIGN_OR_RETURN(Channels channels, OpenChannels());

  pid_t intermediate;
  {
    SignalsBlocked blocked;
    intermediate = RawClone(0);
    if (intermediate == 0) {
      RunExecIntermediate(*plan, stdio, joins, channels);
    }
    if (intermediate < 0) return ErrnoStatus(errno, "fork the exec helper");
  }
  channels.sync_child.Reset();
  channels.report_write.Reset();

  if (cgroup != nullptr) {
    absl::Status added = cgroup->AddProcess(intermediate);
    if (!added.ok()) {
      KillAndReap(intermediate);
      return added;
    }
  }
  if (!SendGo(channels.sync_parent.get())) {
    KillAndReap(intermediate);
    return absl::InternalError("the exec helper died before it could start");
  }
  pid_t pid = -1;
  size_t got = 0;
  while (got < sizeof(pid)) {
    ssize_t n = read(channels.sync_parent.get(),
                     reinterpret_cast<char*>(&pid) + got, sizeof(pid) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += n;
  }
  if (got != sizeof(pid)) pid = -1;
  // Once the helper is gone its child is ours, as we are a subreaper.
  Reap(intermediate);

  absl::StatusOr<std::optional<ChildReport>> report =
      ReadChildReport(channels.report_read.get());
  if (!report.ok() || report->has_value()) {
    if (pid > 0) KillAndReap(pid);
    if (!report.ok()) return report.status();
    return ChildReportToStatus(**report);
  }
  if (pid <= 0) {
    return absl::InternalError(
        "the exec helper exited without starting the process");
  }
  return pid;
}

}  // namespace berth::runtime
