#include "services/daemon/containers/shim_client.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/base/unix_socket.h"
#include "services/shim/shim_protocol.h"

namespace berth {
namespace {

// Reads one line (without the newline); "" at EOF.
absl::StatusOr<std::string> ReadLine(int fd, std::string* buffer) {
  while (true) {
    size_t newline = buffer->find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer->substr(0, newline);
      buffer->erase(0, newline + 1);
      return line;
    }
    char chunk[512];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "read from the shim");
    if (n == 0) return std::string();
    buffer->append(chunk, n);
  }
}

absl::StatusCode CodeFromName(absl::string_view name) {
  for (int code = 0; code <= 16; ++code) {
    auto status_code = static_cast<absl::StatusCode>(code);
    if (absl::StatusCodeToString(status_code) == name) return status_code;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

absl::StatusOr<pid_t> LaunchShim(const std::string& shim_binary,
                                 const std::string& bundle,
                                 const std::function<void()>& on_listening) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  UniqueFd ready_read(ready[0]);
  UniqueFd ready_write(ready[1]);
  // dup2 onto itself would keep close-on-exec.
  if (ready_write.get() == shim::kReadyFd) {
    ready_write.reset(fcntl(ready[1], F_DUPFD_CLOEXEC, shim::kReadyFd + 1));
    if (!ready_write.valid()) return ErrnoStatus(errno, "dup");
  }
  std::string log = absl::StrCat(bundle, "/shim.log");
  std::vector<char*> argv = {const_cast<char*>(shim_binary.c_str()),
                             const_cast<char*>("--detach"),
                             const_cast<char*>(bundle.c_str()), nullptr};
  char* envp[] = {nullptr};
  // posix_spawn (a vfork) rather than fork: berth-daemon has a thread or
  // two per running container, and copying its page tables made every
  // start slower as containers accumulated. The shim leaves its session
  // leader at once (see its main), so it is not berth-daemon's child.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0640);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_adddup2(&actions, ready_write.get(), shim::kReadyFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, shim::kReadyFd + 1);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  pid_t child = 0;
  int spawned =
      posix_spawn(&child, argv[0], &actions, &attributes, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    return ErrnoStatus(spawned, absl::StrCat("start ", shim_binary));
  }
  ready_write.reset();
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  std::string buffer;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(std::string line,
                           ReadLine(ready_read.get(), &buffer));
    if (line.empty()) {
      absl::StatusOr<std::string> shim_log = ReadFile(log);
      return absl::InternalError(absl::StrCat(
          "berth-shim exited before the container started",
          shim_log.ok() && !shim_log->empty() ? ": " : "",
          shim_log.ok() ? absl::StripAsciiWhitespace(*shim_log) : ""));
    }
    if (line == "listening") {
      if (on_listening) on_listening();
      continue;
    }
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "ok ")) {
      pid_t pid;
      if (!absl::SimpleAtoi(rest, &pid)) {
        return absl::InternalError(absl::StrCat("berth-shim said ", line));
      }
      return pid;
    }
    if (absl::ConsumePrefix(&rest, "err ")) {
      std::pair<absl::string_view, absl::string_view> parts =
          absl::StrSplit(rest, absl::MaxSplits(' ', 1));
      return absl::Status(CodeFromName(parts.first), parts.second);
    }
    return absl::InternalError(absl::StrCat("berth-shim said ", line));
  }
}

absl::Status ShimRequest(const std::string& socket, const std::string& line) {
  return ShimQuery(socket, line).status();
}

absl::StatusOr<std::string> ShimQuery(const std::string& socket,
                                      const std::string& line) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, ConnectUnix(socket));
  std::string request = absl::StrCat(line, "\n");
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return ErrnoStatus(errno, "write to the shim");
  }
  std::string buffer;
  BERTH_ASSIGN_OR_RETURN(std::string answer, ReadLine(fd.get(), &buffer));
  absl::string_view message = answer;
  if (message == "ok") return "";
  if (absl::ConsumePrefix(&message, "ok ")) return std::string(message);
  if (absl::ConsumePrefix(&message, "err ")) {
    return absl::FailedPreconditionError(message);
  }
  return absl::UnavailableError("the shim went away");
}

absl::StatusOr<ShimExit> WaitForShimExit(const std::string& socket) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, ConnectUnix(socket));
  if (send(fd.get(), "wait\n", 5, MSG_NOSIGNAL) != 5) {
    return ErrnoStatus(errno, "write to the shim");
  }
  std::string buffer;
  BERTH_ASSIGN_OR_RETURN(std::string line, ReadLine(fd.get(), &buffer));
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  ShimExit exit;
  if (words.size() != 3 || words[0] != "exit" ||
      !absl::SimpleAtoi(words[1], &exit.exit_code)) {
    return absl::UnavailableError("the shim went away");
  }
  exit.oom_killed = words[2] == "1";
  return exit;
}

absl::StatusOr<ExitRecord> ReadExitFile(const std::string& bundle) {
  BERTH_ASSIGN_OR_RETURN(std::string text,
                         ReadFile(absl::StrCat(bundle, "/", shim::kExitFile)));
  std::vector<std::string> words =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ');
  ExitRecord record;
  int oom = 0;
  if (words.size() != 3 || !absl::SimpleAtoi(words[0], &record.exit_code) ||
      !absl::SimpleAtoi(words[1], &oom) ||
      !absl::SimpleAtoi(words[2], &record.finished_ns)) {
    return absl::DataLossError(
        absl::StrCat("unreadable exit file in ", bundle, ": ", text));
  }
  record.oom_killed = oom == 1;
  return record;
}

}  // namespace berth
