#include "services/shim/runc_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/runtime/linux_cgroup.h"
#include "services/runtime/path_util.h"
#include "services/shim/console_socket.h"
#include "services/shim/shim_protocol.h"
#include "services/shim/shim_util.h"
#include "services/shim/spawn_error.h"

namespace berth::shim {
namespace {

// Relative: runc runs in the bundle directory, and a socket address holds
// only 107 bytes, less than a deep bundle path may need.
constexpr char kConsoleSocket[] = "console.sock";
// runc has sent the master by the time it returns; this only bounds a
// runc that misbehaves.
constexpr int kConsoleTimeoutMs = 5000;
// runc logs to this fd (a memfd) in its own process.
constexpr int kLogFd = 3;
constexpr size_t kMaxLog = 64 * 1024;

}  // namespace

RuncDriver::RuncDriver(std::string bundle, const ShimConfig& config)
    : bundle_(std::move(bundle)),
      id_(config.id),
      runc_path_(config.runc_path.empty() ? "runc" : config.runc_path),
      root_(StateRoot(bundle_, config)) {}

RuncDriver::~RuncDriver() = default;

std::string RuncDriver::StateRoot(const std::string& bundle,
                                  const ShimConfig& config) {
  if (!config.runc_root.empty()) return config.runc_root;
  return runtime::CleanPath(absl::StrCat(bundle, "/../../runc"));
}

absl::StatusOr<RuncDriver::Result> RuncDriver::Run(
    const std::vector<std::string>& args, const SpawnStdio& stdio) {
  if (!log_.valid()) {
    log_.reset(memfd_create("runc-log", MFD_CLOEXEC));
    if (!log_.valid()) return ErrnoStatus(errno, "memfd_create");
  }
  if (!null_.valid()) {
    null_.reset(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_.valid()) return ErrnoStatus(errno, "open /dev/null");
  }
  if (ftruncate(log_.get(), 0) != 0) {
    return ErrnoStatus(errno, "truncate runc's log");
  }
  std::vector<std::string> words = {runc_path_,
                                    "--root",
                                    root_,
                                    "--log",
                                    absl::StrCat("/proc/self/fd/", kLogFd),
                                    "--log-format",
                                    "json"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  int sources[4] = {stdio.in >= 0 ? stdio.in : null_.get(),
                    stdio.out >= 0 ? stdio.out : null_.get(),
                    stdio.err >= 0 ? stdio.err : null_.get(), log_.get()};
  // Carries execvp's errno back if runc itself cannot run.
  UniqueFd report_read, report_write;
  BERTH_RETURN_IF_ERROR(MakePipe(&report_read, &report_write));

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork runc");
  if (pid == 0) {
    int report = report_write.get();
    // The shim blocks signals it reads through a signalfd: runc must not
    // inherit that.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Out of 0..3 first, so that the dup2s below cannot clobber a source.
    if (report <= kLogFd) report = fcntl(report, F_DUPFD_CLOEXEC, kLogFd + 1);
    for (int& fd : sources) {
      if (fd <= kLogFd) fd = fcntl(fd, F_DUPFD_CLOEXEC, kLogFd + 1);
    }
    for (int target = 0; target <= kLogFd; ++target) {
      if (dup2(sources[target], target) < 0) {
        int err = errno;
        (void)!write(report, &err, sizeof(err));
        _exit(127);
      }
    }
    if (chdir(bundle_.c_str()) == 0) execvp(argv[0], argv.data());
    int err = errno;
    (void)!write(report, &err, sizeof(err));
    _exit(127);
  }
  report_write.reset();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(report_read.get(), &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  if (n == sizeof(exec_errno)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run ", runc_path_, " in ", bundle_, ": ", strerror(exec_errno),
        " (shim.json's runc_path names the runc binary)"));
  }
  Result result;
  result.exit_code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  char buf[4096];
  off_t offset = 0;
  while (result.log.size() < kMaxLog) {
    n = pread(log_.get(), buf, sizeof(buf), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.log.append(buf, n);
    offset += n;
  }
  return result;
}

absl::Status RuncDriver::RunSimple(const std::vector<std::string>& args) {
  BERTH_ASSIGN_OR_RETURN(Result result, Run(args, SpawnStdio{}));
  if (result.exit_code == 0) return absl::OkStatus();
  return RuncErrorToStatus(result.log, absl::StrCat("runc ", args[0]));
}

absl::StatusOr<pid_t> RuncDriver::ReadPidFile(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  pid_t pid = 0;
  if (!absl::SimpleAtoi(text, &pid) || pid <= 0) {
    return absl::InternalError(
        absl::StrCat("runc wrote \"", text, "\" to ", path, ", not a pid"));
  }
  return pid;
}

absl::StatusOr<Spawned> RuncDriver::Start(const runtime::Spec& spec,
                                          const SpawnStdio& stdio) {
  std::optional<ConsoleSocket> console;
  std::vector<std::string> args = {"create", "--bundle", bundle_, "--pid-file",
                                   absl::StrCat(bundle_, "/", kPidFile)};
  if (stdio.terminal) {
    BERTH_ASSIGN_OR_RETURN(console, ConsoleSocket::Listen(absl::StrCat(
                                        bundle_, "/", kConsoleSocket)));
    args.push_back("--console-socket");
    args.push_back(kConsoleSocket);
  }
  args.push_back(id_);
  // With a terminal runc's own stdio reaches nobody: /dev/null.
  BERTH_ASSIGN_OR_RETURN(Result created,
                         Run(args, stdio.terminal ? SpawnStdio{} : stdio));
  if (created.exit_code != 0) {
    // runc removes what it could not create; this makes sure of it.
    RunSimple({"delete", "--force", id_}).IgnoreError();
    return RuncErrorToStatus(created.log, "runc create");
  }
  created_ = true;
  auto fail = [&](absl::Status status) {
    Cleanup();
    return status;
  };
  Spawned spawned;
  absl::StatusOr<pid_t> pid = ReadPidFile(absl::StrCat(bundle_, "/", kPidFile));
  if (!pid.ok()) return fail(pid.status());
  spawned.pid = *pid;
  if (console) {
    absl::StatusOr<UniqueFd> master = console->ReceiveMaster(kConsoleTimeoutMs);
    if (!master.ok()) return fail(master.status());
    spawned.pty_master = *std::move(master);
  }
  absl::Status started = RunSimple({"start", id_});
  if (!started.ok()) return fail(started);
  if (!spec.cgroups_path.empty()) {
    absl::StatusOr<std::unique_ptr<runtime::Cgroup>> cgroup =
        runtime::LinuxCgroup::Open(spec.cgroups_path);
    if (cgroup.ok()) cgroup_ = std::move(*cgroup);
  }
  return spawned;
}

absl::StatusOr<Spawned> RuncDriver::Exec(const std::string& exec_id,
                                         const std::string& process_file,
                                         const runtime::Process& process,
                                         const SpawnStdio& stdio) {
  std::optional<ConsoleSocket> console;
  // runc writes "PID" without a newline; the shim writes EXECID.pid itself.
  std::string pid_file = absl::StrCat(process_file, ".runc-pid");
  std::vector<std::string> args = {"exec",     "--process",  process_file,
                                   "--detach", "--pid-file", pid_file};
  if (stdio.terminal) {
    BERTH_ASSIGN_OR_RETURN(console, ConsoleSocket::Listen(absl::StrCat(
                                        bundle_, "/", kConsoleSocket)));
    args.push_back("--console-socket");
    args.push_back(kConsoleSocket);
  }
  args.push_back(id_);
  BERTH_ASSIGN_OR_RETURN(Result result,
                         Run(args, stdio.terminal ? SpawnStdio{} : stdio));
  absl::StatusOr<pid_t> pid = RuncErrorToStatus(result.log, "runc exec");
  if (result.exit_code == 0) pid = ReadPidFile(pid_file);
  unlink(pid_file.c_str());
  if (!pid.ok()) return pid.status();
  Spawned spawned;
  spawned.pid = *pid;
  if (console) {
    absl::StatusOr<UniqueFd> master = console->ReceiveMaster(kConsoleTimeoutMs);
    if (!master.ok()) {
      // Ours to reap: the shim's loop does.
      kill(spawned.pid, SIGKILL);
      return master.status();
    }
    spawned.pty_master = *std::move(master);
  }
  return spawned;
}

absl::Status RuncDriver::Kill(int signo) {
  return RunSimple({"kill", id_, absl::StrCat(signo)});
}

absl::Status RuncDriver::Pause() { return RunSimple({"pause", id_}); }

absl::Status RuncDriver::Resume() { return RunSimple({"resume", id_}); }

bool RuncDriver::OomKilled() {
  if (!cgroup_) return false;
  absl::StatusOr<bool> oom = cgroup_->OomKilled();
  return oom.ok() && *oom;
}

void RuncDriver::Cleanup() {
  if (!created_) return;
  created_ = false;
  absl::Status deleted = RunSimple({"delete", "--force", id_});
  if (!deleted.ok()) {
    fprintf(stderr, "berth-shim %s: %s\n", id_.c_str(),
            std::string(deleted.message()).c_str());
  }
}

}  // namespace berth::shim
