#include "services/runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "services/runtime/capabilities.h"
#include "services/runtime/defaults.h"
#include "services/runtime/in_root.h"
#include "services/runtime/path_util.h"

namespace berth::runtime {
namespace {

int Fail(ChildReport* report, ChildStage stage, int err, const char* what) {
  SetChildReport(report, stage, err, "%s", what);
  return -1;
}

// Every fd from 3 up closes at execve: what the caller had open must not
// leak into the container.
int CloseOnExecFrom3() {
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return 0;
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) return errno;
  for (rlim_t fd = 3; fd < nofile.rlim_cur && fd < (1 << 20); ++fd) {
    int flags = fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0) fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
  }
  return 0;
}

void ResetSignals() {
  struct sigaction action = {};
  action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &action, nullptr);  // glibc's internal ones say EINVAL
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

int SwitchUser(const ProcessPlan& plan, ChildReport* report) {
  // Keep the permitted set across setuid, so that ApplyCapabilityMask can
  // still shape the bounding set for a non-root user.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return Fail(report, ChildStage::kUser, errno, "prctl(PR_SET_KEEPCAPS)");
  }
  if (syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) != 0) {
    return Fail(report, ChildStage::kUser, errno,
                "setgroups for the additional gids");
  }
  if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) {
    SetChildReport(report, ChildStage::kUser, errno, "setgid %u",
                   static_cast<unsigned>(plan.gid));
    return -1;
  }
  if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) {
    SetChildReport(report, ChildStage::kUser, errno, "setuid %u",
                   static_cast<unsigned>(plan.uid));
    return -1;
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    return Fail(report, ChildStage::kUser, errno, "prctl(PR_SET_KEEPCAPS)");
  }
  return 0;
}

int LoadSeccomp(const ProcessPlan& plan, ChildReport* report) {
  int err = LoadSeccompProgram(plan.seccomp);
  if (err != 0) {
    return Fail(report, ChildStage::kSeccomp, err,
                "load the default seccomp profile");
  }
  return 0;
}

}  // namespace

std::string PathFromEnv(const std::vector<std::string>& env) {
  std::string path(kDefaultPath);
  for (const std::string& entry : env) {
    if (absl::StartsWith(entry, "PATH=")) path = entry.substr(5);
  }
  return path;
}

std::vector<std::string> ExecCandidates(const std::string& name,
                                        absl::string_view path) {
  if (absl::StrContains(name, '/')) return {name};
  std::vector<std::string> candidates;
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    candidates.push_back(absl::StrCat(dir.empty() ? "." : dir, "/", name));
  }
  return candidates;
}

Rlimit ClampRlimit(const Rlimit& wanted, uint64_t current_hard) {
  Rlimit out = wanted;
  out.hard = std::min(wanted.hard, current_hard);
  out.soft = std::min(wanted.soft, out.hard);
  return out;
}

absl::StatusOr<std::unique_ptr<ProcessPlan>> PlanProcess(const Process& process,
                                                         bool create_cwd) {
  if (process.args.empty() || process.args[0].empty()) {
    return absl::InvalidArgumentError(
        "no command to run: process.args is empty");
  }
  if (process.cwd.empty() || process.cwd[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "the working directory \"", process.cwd, "\" must be absolute"));
  }
  for (const std::string& entry : process.env) {
    if (!absl::StrContains(entry, '=')) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment entry \"", entry, "\" is not KEY=value"));
    }
  }
  auto plan = std::make_unique<ProcessPlan>();
  plan->args = process.args;
  plan->env = process.env;
  for (std::string& arg : plan->args) plan->argv.push_back(arg.data());
  plan->argv.push_back(nullptr);
  for (std::string& entry : plan->env) plan->envp.push_back(entry.data());
  plan->envp.push_back(nullptr);
  plan->search_path = !absl::StrContains(process.args[0], '/');
  plan->exec_candidates =
      ExecCandidates(process.args[0], PathFromEnv(process.env));
  plan->cwd = CleanPath(process.cwd);
  plan->create_cwd = create_cwd;
  plan->uid = process.uid;
  plan->gid = process.gid;
  plan->groups.assign(process.additional_gids.begin(),
                      process.additional_gids.end());
  for (int cap : process.capabilities) {
    if (cap < 0 || cap > kMaxCapability) {
      return absl::InvalidArgumentError(
          absl::StrCat("capability number ", cap, " is out of range"));
    }
  }
  plan->cap_mask = CapabilityMask(process.capabilities);
  plan->last_cap = LastCapability();
  plan->no_new_privileges = process.no_new_privileges;
  plan->rlimits = process.rlimits;
  if (process.oom_score_adj) {
    if (*process.oom_score_adj < -1000 || *process.oom_score_adj > 1000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "oom_score_adj ", *process.oom_score_adj, " is outside -1000..1000"));
    }
    plan->has_oom_score_adj = true;
    snprintf(plan->oom_score_adj, sizeof(plan->oom_score_adj), "%d",
             *process.oom_score_adj);
  }
  if (process.seccomp_default) {
    BERTH_ASSIGN_OR_RETURN(plan->seccomp, CompileDefaultSeccomp());
    plan->has_seccomp = true;
  }
  plan->terminal = process.terminal;
  return plan;
}

int SetupStdio(const Stdio& stdio, bool terminal, ChildReport* report) {
  int wanted[3] = {stdio.in, stdio.out, stdio.err};
  int moved[3] = {-1, -1, -1};
  // Out of the way of 0..2 first: the caller's fds may be any of them.
  for (int i = 0; i < 3; ++i) {
    int fd = wanted[i];
    if (fd < 0) {
      fd = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (fd < 0)
        return Fail(report, ChildStage::kStdio, errno, "open /dev/null");
      moved[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      close(fd);
    } else {
      moved[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    }
    if (moved[i] < 0) {
      SetChildReport(report, ChildStage::kStdio, errno,
                     "duplicate the caller's fd %d", wanted[i]);
      return -1;
    }
  }
  for (int i = 0; i < 3; ++i) {
    // dup2 clears close-on-exec on the copy.
    if (dup2(moved[i], i) < 0) {
      SetChildReport(report, ChildStage::kStdio, errno, "dup2 onto fd %d", i);
      return -1;
    }
    close(moved[i]);
  }
  // Its own session: the caller's terminal signals stay the caller's.
  if (setsid() < 0) return Fail(report, ChildStage::kStdio, errno, "setsid");
  if (terminal && ioctl(0, TIOCSCTTY, 0) != 0) {
    return Fail(report, ChildStage::kStdio, errno,
                "make the pty its controlling terminal (TIOCSCTTY)");
  }
  return 0;
}

int ApplyOomScoreAdj(const ProcessPlan& plan, ChildReport* report) {
  if (!plan.has_oom_score_adj) return 0;
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(report, ChildStage::kOomScoreAdj, errno,
                "open /proc/self/oom_score_adj");
  }
  size_t len = strlen(plan.oom_score_adj);
  ssize_t n = write(fd, plan.oom_score_adj, len);
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(len)) {
    // EACCES: lowering it needs CAP_SYS_RESOURCE.
    SetChildReport(report, ChildStage::kOomScoreAdj, n < 0 ? err : EIO,
                   "set oom_score_adj to %s", plan.oom_score_adj);
    return -1;
  }
  return 0;
}

int ApplyRlimits(const ProcessPlan& plan, ChildReport* report) {
  for (const Rlimit& wanted : plan.rlimits) {
    struct rlimit current;
    if (prlimit(0, static_cast<__rlimit_resource>(wanted.resource), nullptr,
                &current) != 0) {
      SetChildReport(report, ChildStage::kRlimits, errno, "read rlimit %d",
                     wanted.resource);
      return -1;
    }
    Rlimit clamped = ClampRlimit(wanted, current.rlim_max);
    struct rlimit next = {clamped.soft, clamped.hard};
    if (prlimit(0, static_cast<__rlimit_resource>(wanted.resource), &next,
                nullptr) != 0) {
      SetChildReport(report, ChildStage::kRlimits, errno,
                     "set rlimit %d to soft %llu, hard %llu", wanted.resource,
                     static_cast<unsigned long long>(clamped.soft),
                     static_cast<unsigned long long>(clamped.hard));
      return -1;
    }
  }
  return 0;
}

void FinishAndExec(const ProcessPlan& plan, ChildReport* report) {
  const char* cwd = plan.cwd.c_str();
  if (plan.create_cwd) {
    // As root, before the switch: Docker creates a missing working
    // directory, owned by the user who will work in it.
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int rc =
        root < 0 ? -errno : MkdirAllInRoot(root, cwd, 0755, plan.uid, plan.gid);
    if (root >= 0) close(root);
    if (rc < 0) {
      SetChildReport(report, ChildStage::kWorkdir, -rc,
                     "create the working directory %s", cwd);
      return;
    }
  }
  if (plan.has_seccomp && !plan.no_new_privileges &&
      LoadSeccomp(plan, report) != 0) {
    return;
  }
  if (SwitchUser(plan, report) != 0) return;
  if (int err = ApplyCapabilityMask(plan.cap_mask, plan.last_cap)) {
    Fail(report, ChildStage::kCapabilities, err, "apply capabilities");
    return;
  }
  // After the switch, so that the user's own permissions decide (runc's
  // wording for the error).
  if (chdir(cwd) != 0) {
    SetChildReport(report, ChildStage::kWorkdir, errno,
                   "chdir to cwd (\"%s\") set in config.json failed", cwd);
    return;
  }
  if (plan.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Fail(report, ChildStage::kNoNewPrivileges, errno,
         "prctl(PR_SET_NO_NEW_PRIVS)");
    return;
  }
  if (int err = CloseOnExecFrom3()) {
    Fail(report, ChildStage::kSignals, err, "mark fds close-on-exec");
    return;
  }
  if (plan.has_seccomp && plan.no_new_privileges &&
      LoadSeccomp(plan, report) != 0) {
    return;
  }
  ResetSignals();

  const char* name = plan.args[0].c_str();
  bool denied = false;
  for (const std::string& candidate : plan.exec_candidates) {
    execve(candidate.c_str(), plan.argv.data(), plan.envp.data());
    int err = errno;
    // execvp's rules: keep looking past what is not there or not ours.
    if (err == EACCES) {
      denied = true;
      continue;
    }
    if (err == ENOENT || err == ENOTDIR || err == ESTALE || err == ENODEV ||
        err == ETIMEDOUT) {
      continue;
    }
    SetChildReport(report, ChildStage::kExec, err, "exec: \"%s\"", name);
    return;
  }
  // Docker's wording: the daemon maps these to exit codes 126 and 127.
  if (denied) {
    SetChildReport(report, ChildStage::kExecDenied, EACCES,
                   "exec: \"%s\": permission denied", name);
  } else if (plan.search_path) {
    SetChildReport(report, ChildStage::kExecNotFound, ENOENT,
                   "exec: \"%s\": executable file not found in $PATH", name);
  } else {
    SetChildReport(report, ChildStage::kExecNotFound, ENOENT,
                   "exec: \"%s\": stat %s: no such file or directory", name,
                   name);
  }
}

}  // namespace berth::runtime
