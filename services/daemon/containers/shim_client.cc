#include "services/daemon/containers/shim_client.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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
  std::string log = absl::StrCat(bundle, "/shim.log");
  // Everything the child needs, made before fork: after it only
  // async-signal-safe calls are allowed in a threaded process.
  std::vector<char*> argv = {const_cast<char*>(shim_binary.c_str()),
                             const_cast<char*>(bundle.c_str()), nullptr};
  char* envp[] = {nullptr};
  pid_t child = fork();
  if (child < 0) return ErrnoStatus(errno, "fork");
  if (child == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
    int null = open("/dev/null", O_RDONLY);
    if (out < 0 || null < 0) _exit(126);
    dup2(null, 0);
    dup2(out, 1);
    dup2(out, 2);
    if (ready[1] == shim::kReadyFd) {
      fcntl(ready[1], F_SETFD, 0);
    } else {
      dup2(ready[1], shim::kReadyFd);
    }
    syscall(SYS_close_range, shim::kReadyFd + 1, ~0U, 0);
    execve(argv[0], argv.data(), envp);
    _exit(127);
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
