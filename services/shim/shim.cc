#include "services/shim/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/base/unix_socket.h"
#include "lib/docker/stream_frame.h"
#include "services/runtime/container.h"
#include "services/runtime/linux_cgroup.h"
#include "services/runtime/oci_config.h"
#include "services/shim/shim_protocol.h"

namespace berth::shim {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// A client that falls this far behind is dropped rather than letting the
// shim's memory grow; the log keeps everything.
constexpr size_t kMaxClientBacklog = 8 << 20;
constexpr size_t kMaxStdinBacklog = 1 << 20;
constexpr int kAttachWaitMs = 5000;
// After the init exits, how long output may still trickle in.
constexpr int kDrainMs = 2000;

int64_t NowMs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

absl::Status MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return absl::OkStatus();
}

// Sends everything, blocking up to a couple of seconds: used on the way
// out, when nothing else needs the loop.
void SendAllBlocking(int fd, absl::string_view data) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(n);
  }
}

}  // namespace

struct Shim::Client {
  enum class Kind { kHandshake, kAttach, kWait, kControl };
  UniqueFd fd;
  Kind kind = Kind::kHandshake;
  bool stdin = false;
  bool streams[2] = {false, false};
  std::string line;
  std::string backlog;
  // Closes once the backlog is out (after a control answer).
  bool closing = false;
  bool read_closed = false;
  bool dead = false;
};

Shim::Shim(std::string bundle, ShimConfig config)
    : bundle_(std::move(bundle)), config_(std::move(config)) {}

Shim::~Shim() = default;

std::string Shim::Path(const char* name) const {
  return absl::StrCat(bundle_, "/", name);
}

absl::Status Shim::OpenStdio() {
  if (config_.tty) {
    UniqueFd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master.valid()) return ErrnoStatus(errno, "posix_openpt");
    if (grantpt(master.get()) != 0 || unlockpt(master.get()) != 0) {
      return ErrnoStatus(errno, "unlockpt");
    }
    char name[64];
    if (ptsname_r(master.get(), name, sizeof(name)) != 0) {
      return ErrnoStatus(errno, "ptsname");
    }
    UniqueFd slave(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave.valid()) return ErrnoStatus(errno, absl::StrCat("open ", name));
    stdio_.child_in.reset(dup(slave.get()));
    stdio_.child_out.reset(dup(slave.get()));
    stdio_.child_err = std::move(slave);
    if (config_.open_stdin) stdio_.stdin_write.reset(dup(master.get()));
    stdio_.stdout_read.reset(dup(master.get()));
    stdio_.pty_master = std::move(master);
    output_open_[0] = true;
  } else {
    BERTH_RETURN_IF_ERROR(MakePipe(&stdio_.stdout_read, &stdio_.child_out));
    BERTH_RETURN_IF_ERROR(MakePipe(&stdio_.stderr_read, &stdio_.child_err));
    if (config_.open_stdin) {
      BERTH_RETURN_IF_ERROR(MakePipe(&stdio_.child_in, &stdio_.stdin_write));
    } else {
      stdio_.child_in.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
    output_open_[0] = output_open_[1] = true;
  }
  for (UniqueFd* fd :
       {&stdio_.stdout_read, &stdio_.stderr_read, &stdio_.stdin_write}) {
    if (fd->valid()) SetNonBlocking(fd->get());
  }
  return absl::OkStatus();
}

absl::Status Shim::Start() {
  JsonLogWriter::Options log_options;
  log_options.path = config_.log_path;
  log_options.max_size = config_.log_max_size;
  log_options.max_files = config_.log_max_files;
  BERTH_ASSIGN_OR_RETURN(JsonLogWriter log, JsonLogWriter::Open(log_options));
  log_.emplace(std::move(log));
  BERTH_RETURN_IF_ERROR(OpenStdio());
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(Path(kShimPidFile), absl::StrCat(getpid(), "\n"), 0644));
  BERTH_ASSIGN_OR_RETURN(listener_, ListenUnix(Path(kSocketFile), 0600));
  SetNonBlocking(listener_.get());
  const char listening[] = "listening\n";
  if (write(kReadyFd, listening, sizeof(listening) - 1) < 0) {
    return ErrnoStatus(errno, "report listening");
  }
  BERTH_RETURN_IF_ERROR(WaitForAttaches());

  BERTH_ASSIGN_OR_RETURN(std::string config_json,
                         ReadFile(Path("config.json")));
  BERTH_ASSIGN_OR_RETURN(runtime::Spec spec,
                         runtime::ParseOciConfig(config_json, bundle_));
  runtime::Stdio stdio;
  stdio.in = stdio_.child_in.get();
  stdio.out = stdio_.child_out.get();
  stdio.err = stdio_.child_err.get();
  BERTH_ASSIGN_OR_RETURN(pid_, runtime::SpawnContainer(spec, stdio));
  stdio_.child_in.reset();
  stdio_.child_out.reset();
  stdio_.child_err.reset();
  if (!spec.cgroups_path.empty()) {
    absl::StatusOr<std::unique_ptr<runtime::Cgroup>> cgroup =
        runtime::LinuxCgroup::Open(spec.cgroups_path);
    if (cgroup.ok()) cgroup_ = std::move(*cgroup);
  }

  // Only now, as a mask the container cannot inherit: the shim outlives
  // whoever started it, and hangups and termination are not for it.
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo : {SIGCHLD, SIGPIPE, SIGHUP, SIGINT, SIGTERM}) {
    sigaddset(&mask, signo);
  }
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  signal_fd_.reset(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_.valid()) return ErrnoStatus(errno, "signalfd");

  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(Path(kPidFile), absl::StrCat(pid_, "\n"), 0644));
  std::string ok = absl::StrCat("ok ", pid_, "\n");
  if (write(kReadyFd, ok.data(), ok.size()) < 0) {
    return ErrnoStatus(errno, "report start");
  }
  close(kReadyFd);
  // A child that died before the signalfd existed.
  Reap();
  return absl::OkStatus();
}

absl::Status Shim::WaitForAttaches() {
  int64_t deadline = NowMs() + kAttachWaitMs;
  auto attached = [&] {
    return std::count_if(clients_.begin(), clients_.end(), [](auto& c) {
      return c->kind == Client::Kind::kAttach;
    });
  };
  while (attached() < config_.attach_wait) {
    int64_t left = deadline - NowMs();
    if (left <= 0) break;
    std::vector<pollfd> fds = {{listener_.get(), POLLIN, 0}};
    for (auto& client : clients_) fds.push_back({client->fd.get(), POLLIN, 0});
    if (poll(fds.data(), fds.size(), left) < 0 && errno != EINTR) {
      return ErrnoStatus(errno, "poll");
    }
    if (fds[0].revents) Accept();
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents) OnClientReadable(*clients_[i - 1]);
    }
    std::erase_if(clients_, [](auto& c) { return c->dead; });
  }
  return absl::OkStatus();
}

void Shim::Accept() {
  while (true) {
    int fd = accept4(listener_.get(), nullptr, nullptr,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto client = std::make_unique<Client>();
    client->fd.reset(fd);
    clients_.push_back(std::move(client));
  }
}

void Shim::OnClientReadable(Client& client) {
  char buf[kReadChunk];
  ssize_t n = recv(client.fd.get(), buf, sizeof(buf), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    client.read_closed = true;
    if (client.kind == Client::Kind::kAttach && client.stdin) {
      if (config_.stdin_once) CloseStdin();
    } else if (client.kind != Client::Kind::kAttach) {
      client.dead = true;
    }
    return;
  }
  absl::string_view data(buf, n);
  if (client.kind == Client::Kind::kHandshake) {
    size_t newline = data.find('\n');
    absl::string_view head = data.substr(0, newline);
    client.line.append(head.data(), head.size());
    if (newline == absl::string_view::npos) {
      if (client.line.size() > 256) client.dead = true;
      return;
    }
    std::string line = std::move(client.line);
    HandleRequest(client, line);
    data.remove_prefix(newline + 1);
  }
  if (client.kind == Client::Kind::kAttach && client.stdin && !data.empty() &&
      stdio_.stdin_write.valid()) {
    stdin_buffer_.append(data.data(), data.size());
    FlushStdin();
  }
}

void Shim::HandleRequest(Client& client, const std::string& line) {
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  auto answer = [&](absl::string_view text) {
    client.kind = Client::Kind::kControl;
    Queue(client, text.data(), text.size());
    client.closing = true;
    FlushClient(client);
  };
  const std::string& verb = words[0];
  if (verb == "attach" && words.size() == 4) {
    client.kind = Client::Kind::kAttach;
    client.stdin = words[1] == "1";
    client.streams[0] = words[2] == "1";
    client.streams[1] = words[3] == "1";
  } else if (verb == "wait") {
    client.kind = Client::Kind::kWait;
  } else if (verb == "kill" && words.size() == 2) {
    int signo = 0;
    if (!absl::SimpleAtoi(words[1], &signo) || signo <= 0 || signo >= 65) {
      return answer("err invalid signal\n");
    }
    if (exited_ || pid_ <= 0) return answer("err container is not running\n");
    if (kill(pid_, signo) != 0) {
      return answer(absl::StrCat("err kill: ", strerror(errno), "\n"));
    }
    answer("ok\n");
  } else if (verb == "resize" && words.size() == 3) {
    winsize size{};
    unsigned height = 0, width = 0;
    if (!stdio_.pty_master.valid()) return answer("err no tty\n");
    if (!absl::SimpleAtoi(words[1], &height) ||
        !absl::SimpleAtoi(words[2], &width)) {
      return answer("err invalid size\n");
    }
    size.ws_row = height;
    size.ws_col = width;
    if (ioctl(stdio_.pty_master.get(), TIOCSWINSZ, &size) != 0) {
      return answer(absl::StrCat("err resize: ", strerror(errno), "\n"));
    }
    answer("ok\n");
  } else if ((verb == "pause" || verb == "resume") && words.size() == 1) {
    if (!cgroup_) return answer("err the container has no cgroup\n");
    absl::Status status = verb == "pause" ? cgroup_->Freeze() : cgroup_->Thaw();
    answer(status.ok() ? std::string("ok\n")
                       : absl::StrCat("err ", status.message(), "\n"));
  } else {
    answer("err unknown request\n");
  }
}

void Shim::Queue(Client& client, const char* data, size_t size) {
  if (client.dead) return;
  client.backlog.append(data, size);
  if (client.backlog.size() > kMaxClientBacklog) client.dead = true;
}

void Shim::FlushClient(Client& client) {
  while (!client.backlog.empty() && !client.dead) {
    ssize_t n = send(client.fd.get(), client.backlog.data(),
                     client.backlog.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      client.dead = true;
      return;
    }
    client.backlog.erase(0, n);
  }
  if (client.backlog.empty() && client.closing) client.dead = true;
}

void Shim::Broadcast(int stream, const char* data, size_t size) {
  for (auto& client : clients_) {
    if (client->kind != Client::Kind::kAttach || !client->streams[stream - 1]) {
      continue;
    }
    if (!config_.tty) {
      std::array<char, 8> header = StreamFrameHeader(stream, size);
      Queue(*client, header.data(), header.size());
    }
    Queue(*client, data, size);
    FlushClient(*client);
  }
}

void Shim::FlushStdin() {
  while (!stdin_buffer_.empty() && stdio_.stdin_write.valid()) {
    ssize_t n = write(stdio_.stdin_write.get(), stdin_buffer_.data(),
                      stdin_buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      // The container closed its stdin: what is left has no reader.
      stdin_buffer_.clear();
      stdio_.stdin_write.reset();
      return;
    }
    stdin_buffer_.erase(0, n);
  }
}

void Shim::CloseStdin() {
  // With a tty the master is also the output; only a pipe can be closed.
  if (config_.tty) return;
  FlushStdin();
  if (stdin_buffer_.empty()) {
    stdio_.stdin_write.reset();
  } else {
    close_stdin_when_flushed_ = true;
  }
}

bool Shim::ReadOutput(int stream) {
  int fd = stream == 1 ? stdio_.stdout_read.get() : stdio_.stderr_read.get();
  char buf[kReadChunk];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  // EIO: the pty's last slave closed.
  if (n <= 0) return false;
  absl::Status logged = log_->Write(stream, absl::string_view(buf, n));
  if (!logged.ok()) {
    fprintf(stderr, "berth-shim %s: log: %s\n", config_.id.c_str(),
            std::string(logged.message()).c_str());
  }
  Broadcast(stream, buf, n);
  return true;
}

void Shim::Reap() {
  signalfd_siginfo info;
  while (read(signal_fd_.get(), &info, sizeof(info)) > 0) {
  }
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid != pid_) continue;
    exited_ = true;
    exit_code_ =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
}

int Shim::Serve() {
  int64_t drain_deadline = 0;
  while (true) {
    if (exited_ && drain_deadline == 0) drain_deadline = NowMs() + kDrainMs;
    if (exited_ &&
        ((!output_open_[0] && !output_open_[1]) || NowMs() >= drain_deadline)) {
      break;
    }
    std::vector<pollfd> fds;
    fds.push_back({signal_fd_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    fds.push_back({output_open_[0] ? stdio_.stdout_read.get() : -1, POLLIN, 0});
    fds.push_back({output_open_[1] ? stdio_.stderr_read.get() : -1, POLLIN, 0});
    fds.push_back(
        {stdin_buffer_.empty() ? -1 : stdio_.stdin_write.get(), POLLOUT, 0});
    constexpr size_t kFirstClient = 5;
    bool stdin_full = stdin_buffer_.size() >= kMaxStdinBacklog;
    for (auto& client : clients_) {
      short events = 0;
      if (!client->read_closed && !(client->stdin && stdin_full)) {
        events |= POLLIN;
      }
      if (!client->backlog.empty()) events |= POLLOUT;
      fds.push_back({client->fd.get(), events, 0});
    }
    int timeout = exited_ ? std::max<int64_t>(0, drain_deadline - NowMs()) : -1;
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents) Reap();
    if (fds[1].revents) Accept();
    for (int stream = 1; stream <= 2; ++stream) {
      if (fds[1 + stream].revents && !ReadOutput(stream)) {
        output_open_[stream - 1] = false;
      }
    }
    if (fds[4].revents) {
      FlushStdin();
      if (close_stdin_when_flushed_ && stdin_buffer_.empty()) {
        stdio_.stdin_write.reset();
      }
    }
    for (size_t i = kFirstClient; i < fds.size(); ++i) {
      Client& client = *clients_[i - kFirstClient];
      if (fds[i].revents & POLLOUT) FlushClient(client);
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        OnClientReadable(client);
      }
    }
    std::erase_if(clients_, [](auto& c) { return c->dead; });
  }
  Finish();
  return exit_code_;
}

void Shim::Finish() {
  absl::Status flushed = log_->Flush();
  if (!flushed.ok()) {
    fprintf(stderr, "berth-shim %s: log: %s\n", config_.id.c_str(),
            std::string(flushed.message()).c_str());
  }
  if (cgroup_) {
    absl::StatusOr<bool> oom = cgroup_->OomKilled();
    oom_killed_ = oom.ok() && *oom;
  }
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t finished_ns = int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
  absl::Status written =
      WriteFileAtomic(Path(kExitFile),
                      absl::StrCat(exit_code_, " ", oom_killed_ ? 1 : 0, " ",
                                   finished_ns, "\n"),
                      0644);
  if (!written.ok()) {
    fprintf(stderr, "berth-shim %s: %s\n", config_.id.c_str(),
            std::string(written.message()).c_str());
  }
  std::string exit_line =
      absl::StrCat("exit ", exit_code_, " ", oom_killed_ ? 1 : 0, "\n");
  for (auto& client : clients_) {
    if (client->dead) continue;
    if (client->kind == Client::Kind::kWait) {
      client->backlog.append(exit_line);
    }
    SendAllBlocking(client->fd.get(), client->backlog);
    shutdown(client->fd.get(), SHUT_WR);
  }
  clients_.clear();
  if (cgroup_) {
    absl::Status destroyed = cgroup_->Destroy();
    if (!destroyed.ok()) {
      fprintf(stderr, "berth-shim %s: cgroup: %s\n", config_.id.c_str(),
              std::string(destroyed.message()).c_str());
    }
  }
  unlink(Path(kSocketFile).c_str());
}

}  // namespace berth::shim
