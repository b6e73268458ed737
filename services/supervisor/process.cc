#include "services/supervisor/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/files.h"

extern char** environ;

namespace berth {
namespace {

constexpr char kListenPidPrefix[] = "LISTEN_PID=";
constexpr int kPidDigits = 10;
constexpr size_t kMaxListenFds = 32;

// Writes `value` into `out` as exactly kPidDigits decimal digits; safe
// between fork and exec.
void FormatPid(pid_t value, char* out) {
  for (int i = kPidDigits - 1; i >= 0; --i) {
    out[i] = '0' + value % 10;
    value /= 10;
  }
}

}  // namespace

absl::StatusOr<pid_t> Spawn(const SpawnOptions& options) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls are allowed.
  std::vector<std::string> argv_storage = {options.binary};
  argv_storage.insert(argv_storage.end(), options.args.begin(),
                      options.args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "LISTEN_")) continue;
    env_storage.push_back(*e);
  }
  int listen_pid_index = -1;
  if (!options.listen_fds.empty()) {
    env_storage.push_back(
        absl::StrCat("LISTEN_FDS=", options.listen_fds.size()));
    if (!options.listen_fd_names.empty()) {
      env_storage.push_back(absl::StrCat(
          "LISTEN_FDNAMES=", absl::StrJoin(options.listen_fd_names, ":")));
    }
    listen_pid_index = env_storage.size();
    env_storage.push_back(
        absl::StrCat(kListenPidPrefix, std::string(kPidDigits, '0')));
  }
  std::vector<char*> envp;
  for (std::string& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  char* listen_pid_digits =
      listen_pid_index < 0
          ? nullptr
          : env_storage[listen_pid_index].data() + strlen(kListenPidPrefix);

  if (options.listen_fds.size() > kMaxListenFds) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxListenFds, " activation sockets"));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    // Move the sockets above the target range first, so that placing one
    // cannot clobber another that has not been placed yet.
    int moved[kMaxListenFds];
    for (size_t i = 0; i < options.listen_fds.size(); ++i) {
      moved[i] = fcntl(options.listen_fds[i], F_DUPFD, 64);
    }
    for (size_t i = 0; i < options.listen_fds.size(); ++i) {
      if (moved[i] < 0 || dup2(moved[i], 3 + i) < 0) _exit(127);
    }
    if (listen_pid_digits != nullptr) FormatPid(getpid(), listen_pid_digits);
    execve(options.binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

struct SpawnThread::Request {
  const SpawnOptions* options;
  absl::StatusOr<pid_t> result = absl::UnknownError("not spawned");
  bool done = false;
};

SpawnThread::SpawnThread() : thread_([this] { Loop(); }) {}

SpawnThread::~SpawnThread() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

absl::StatusOr<pid_t> SpawnThread::Spawn(const SpawnOptions& options) {
  Request request{&options};
  absl::MutexLock lock(&mu_);
  queue_.push_back(&request);
  mu_.Await(absl::Condition(&request.done));
  return request.result;
}

void SpawnThread::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || !queue_.empty();
    };
    mu_.Await(absl::Condition(&ready));
    if (stopping_) return;
    Request* request = queue_.front();
    queue_.pop_front();
    request->result = berth::Spawn(*request->options);
    request->done = true;
  }
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status))
    return absl::StrCat("exit status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return absl::StrCat("signal ", WTERMSIG(status), " (",
                        strsignal(WTERMSIG(status)), ")");
  }
  return absl::StrCat("wait status ", status);
}

}  // namespace berth
