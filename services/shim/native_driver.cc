#include "services/shim/native_driver.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/runtime/container.h"
#include "services/runtime/linux_cgroup.h"
#include "services/shim/pty.h"

namespace berth::shim {
namespace {

// Runs `spawn` with the process's stdio: a new pty's slave (the master
// comes back), or the caller's fds.
absl::StatusOr<Spawned> SpawnWith(
    const SpawnStdio& stdio,
    const std::function<absl::StatusOr<pid_t>(const runtime::Stdio&)>& spawn) {
  Spawned spawned;
  runtime::Stdio fds{stdio.in, stdio.out, stdio.err};
  UniqueFd slave;
  if (stdio.terminal) {
    BERTH_ASSIGN_OR_RETURN(Pty pty, OpenPty());
    slave = std::move(pty.slave);
    spawned.pty_master = std::move(pty.master);
    fds = {slave.get(), slave.get(), slave.get()};
  }
  BERTH_ASSIGN_OR_RETURN(spawned.pid, spawn(fds));
  return spawned;
}

}  // namespace

absl::StatusOr<Spawned> NativeDriver::Start(const runtime::Spec& spec,
                                            const SpawnStdio& stdio) {
  BERTH_ASSIGN_OR_RETURN(Spawned spawned,
                         SpawnWith(stdio, [&](const runtime::Stdio& fds) {
                           return runtime::SpawnContainer(spec, fds);
                         }));
  pid_ = spawned.pid;
  cgroups_path_ = spec.cgroups_path;
  seccomp_default_ = spec.process.seccomp_default;
  if (!cgroups_path_.empty()) {
    absl::StatusOr<std::unique_ptr<runtime::Cgroup>> cgroup =
        runtime::LinuxCgroup::Open(cgroups_path_);
    if (cgroup.ok()) cgroup_ = std::move(*cgroup);
  }
  return spawned;
}

absl::StatusOr<Spawned> NativeDriver::Exec(const std::string& exec_id,
                                           const std::string& process_file,
                                           const runtime::Process& process,
                                           const SpawnStdio& stdio) {
  runtime::Process with_seccomp = process;
  with_seccomp.seccomp_default = seccomp_default_;
  return SpawnWith(stdio, [&](const runtime::Stdio& fds) {
    return runtime::SpawnInContainer(pid_, with_seccomp, fds, cgroups_path_);
  });
}

absl::Status NativeDriver::Kill(int signo) {
  if (kill(pid_, signo) != 0) {
    return ErrnoStatus(errno, absl::StrCat("kill ", pid_));
  }
  return absl::OkStatus();
}

absl::Status NativeDriver::Pause() {
  if (!cgroup_) {
    return absl::FailedPreconditionError("the container has no cgroup");
  }
  return cgroup_->Freeze();
}

absl::Status NativeDriver::Resume() {
  if (!cgroup_) {
    return absl::FailedPreconditionError("the container has no cgroup");
  }
  return cgroup_->Thaw();
}

bool NativeDriver::OomKilled() {
  if (!cgroup_) return false;
  absl::StatusOr<bool> oom = cgroup_->OomKilled();
  return oom.ok() && *oom;
}

void NativeDriver::Cleanup() {
  if (!cgroup_) return;
  absl::Status destroyed = cgroup_->Destroy();
  if (!destroyed.ok()) {
    fprintf(stderr, "berth-shim: cgroup: %s\n",
            std::string(destroyed.message()).c_str());
  }
}

}  // namespace berth::shim
