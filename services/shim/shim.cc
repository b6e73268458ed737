#include "services/shim/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
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
#include "services/runtime/oci_config.h"
#include "services/shim/shim_protocol.h"
#include "services/shim/shim_util.h"

namespace berth::shim {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// A client that falls this far behind is dropped rather than letting the
// shim's memory grow; the log keeps everything.
constexpr size_t kMaxClientBacklog = 8 << 20;
// How long the container waits for the attaches its starter counted.
// Normally milliseconds; generous because output written before an
// attach connects reaches only the log, and a loaded host (a hundred
// `docker run`s at once) can take seconds to connect.
constexpr int kAttachWaitMs = 30000;
// After the init exits, how long output may still trickle in, and execs
// (which outlive it only without a pid namespace) may still run.
constexpr int kDrainMs = 2000;
// After the execs left were SIGKILLed, how long to wait for their exits.
constexpr int kKillWaitMs = 1000;

int ExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

Shim::Shim(std::string bundle, ShimConfig config)
    : bundle_(std::move(bundle)), config_(std::move(config)) {}

Shim::~Shim() = default;

std::string Shim::Path(const char* name) const {
  return absl::StrCat(bundle_, "/", name);
}

absl::Status Shim::OpenStdio() {
  if (config_.open_stdin) io_.ExpectStdin();
  // A terminal comes from the runtime with the process (runc makes it
  // inside the container).
  if (config_.tty) return absl::OkStatus();
  UniqueFd out, err;
  BERTH_RETURN_IF_ERROR(MakePipe(&out, &child_out_));
  BERTH_RETURN_IF_ERROR(MakePipe(&err, &child_err_));
  io_.SetOutput(1, std::move(out));
  io_.SetOutput(2, std::move(err));
  if (config_.open_stdin) {
    UniqueFd in;
    BERTH_RETURN_IF_ERROR(MakePipe(&child_in_, &in));
    io_.SetStdin(std::move(in));
  }
  return absl::OkStatus();
}

absl::Status Shim::Start() {
  // Before anything runs: an exec's process, and runc's container once
  // runc exits, are reparented to the nearest subreaper, which must be
  // the shim that reaps them and records their exits.
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return ErrnoStatus(errno, "become a child subreaper");
  }
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
  driver_ = MakeRuntimeDriver(bundle_, config_);
  SpawnStdio stdio;
  stdio.terminal = config_.tty;
  stdio.in = child_in_.get();
  stdio.out = child_out_.get();
  stdio.err = child_err_.get();
  BERTH_ASSIGN_OR_RETURN(Spawned spawned, driver_->Start(spec, stdio));
  child_in_.reset();
  child_out_.reset();
  child_err_.reset();
  pid_ = spawned.pid;
  if (config_.tty) {
    io_.AdoptPty(std::move(spawned.pty_master), config_.open_stdin);
  }
  absl::Status started = FinishStart();
  if (!started.ok()) {
    // Nobody would serve it: take it down again.
    driver_->Kill(SIGKILL).IgnoreError();
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    driver_->Cleanup();
  }
  return started;
}

absl::Status Shim::FinishStart() {
  // Only now, as a mask the container cannot inherit: the shim outlives
  // whoever started it, and hangups and termination are not for it.
  // (Processes started later reset their mask before they exec.)
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
  int64_t deadline = MonotonicMs() + kAttachWaitMs;
  auto attached = [&] {
    return std::count_if(clients_.begin(), clients_.end(), [](auto& c) {
      return c->kind == Client::Kind::kAttach;
    });
  };
  while (attached() < config_.attach_wait) {
    int64_t left = deadline - MonotonicMs();
    if (left <= 0) break;
    std::vector<pollfd> fds = {{listener_.get(), POLLIN, 0}};
    for (auto& client : clients_) {
      // An attach that already sent its EOF stays, but is not read again.
      short events = client->read_closed ? 0 : POLLIN;
      fds.push_back({client->fd.get(), events, 0});
    }
    if (poll(fds.data(), fds.size(), left) < 0 && errno != EINTR) {
      return ErrnoStatus(errno, "poll");
    }
    if (fds[0].revents) Accept();
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents) OnClientReadable(*clients_[i - 1], fds[i].revents);
    }
    Sweep();
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

void Shim::OnClientReadable(Client& client, short revents) {
  char buf[kReadChunk];
  ssize_t n =
      client.read_closed ? 0 : recv(client.fd.get(), buf, sizeof(buf), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    if (!client.read_closed) {
      client.read_closed = true;
      if (client.kind == Client::Kind::kAttach && client.stdin) {
        if (config_.stdin_once) io_.CloseStdin();
      } else if (client.kind == Client::Kind::kExec && client.stdin &&
                 client.exec != nullptr) {
        client.exec->io.CloseStdin();
      }
    }
    // A stream client may half-close and still read; POLLHUP or an error
    // means nobody reads any more. Others are done at EOF.
    bool streaming = client.kind == Client::Kind::kAttach ||
                     client.kind == Client::Kind::kExec;
    if (!streaming || (revents & (POLLHUP | POLLERR)) || n < 0) {
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
  if (!client.stdin || data.empty()) return;
  if (client.kind == Client::Kind::kAttach) {
    io_.QueueStdin(data);
  } else if (client.kind == Client::Kind::kExec && client.exec != nullptr) {
    client.exec->io.QueueStdin(data);
  }
}

void Shim::Answer(Client& client, absl::string_view text) {
  client.kind = Client::Kind::kControl;
  Queue(client, text.data(), text.size());
  client.closing = true;
  FlushClient(client);
}

void Shim::HandleRequest(Client& client, const std::string& line) {
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  const std::string& verb = words[0];
  if (verb == "attach" && words.size() == 4) {
    client.kind = Client::Kind::kAttach;
    client.stdin = words[1] == "1";
    client.streams[0] = words[2] == "1";
    client.streams[1] = words[3] == "1";
  } else if (verb == "exec") {
    StartExec(client, words);
  } else if (verb == "wait") {
    client.kind = Client::Kind::kWait;
  } else if (verb == "kill" && words.size() == 2) {
    int signo = 0;
    if (!absl::SimpleAtoi(words[1], &signo) || signo <= 0 || signo >= 65) {
      return Answer(client, "err invalid signal\n");
    }
    if (exited_ || pid_ <= 0) {
      return Answer(client, "err container is not running\n");
    }
    absl::Status killed = driver_->Kill(signo);
    Answer(client, killed.ok() ? std::string("ok\n")
                               : absl::StrCat("err ", killed.message(), "\n"));
  } else if (verb == "resize" && (words.size() == 3 || words.size() == 4)) {
    unsigned height = 0, width = 0;
    if (!absl::SimpleAtoi(words[1], &height) ||
        !absl::SimpleAtoi(words[2], &width) || height > 0xffff ||
        width > 0xffff) {
      return Answer(client, "err invalid size\n");
    }
    absl::Status resized;
    if (words.size() == 4) {
      resized = ResizeExec(words[3], height, width);
    } else if (!io_.tty()) {
      resized = absl::FailedPreconditionError("no tty");
    } else {
      winsize size{};
      size.ws_row = height;
      size.ws_col = width;
      if (ioctl(io_.pty_master(), TIOCSWINSZ, &size) != 0) {
        resized = ErrnoStatus(errno, "resize");
      }
    }
    Answer(client, resized.ok()
                       ? std::string("ok\n")
                       : absl::StrCat("err ", resized.message(), "\n"));
  } else if ((verb == "pause" || verb == "resume") && words.size() == 1) {
    if (exited_ || pid_ <= 0) {
      return Answer(client, "err container is not running\n");
    }
    absl::Status status =
        verb == "pause" ? driver_->Pause() : driver_->Resume();
    Answer(client, status.ok() ? std::string("ok\n")
                               : absl::StrCat("err ", status.message(), "\n"));
  } else {
    Answer(client, "err unknown request\n");
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

void Shim::ReadInitOutput(int stream) {
  char buf[kReadChunk];
  ssize_t n = io_.ReadOutput(stream, buf, sizeof(buf));
  if (n <= 0) return;
  absl::Status logged = log_->Write(stream, absl::string_view(buf, n));
  if (!logged.ok()) {
    fprintf(stderr, "berth-shim %s: log: %s\n", config_.id.c_str(),
            std::string(logged.message()).c_str());
  }
  Broadcast(stream, buf, n);
}

void Shim::Reap() {
  signalfd_siginfo info;
  while (read(signal_fd_.get(), &info, sizeof(info)) > 0) {
  }
  int status;
  pid_t pid;
  // Everything that is ours: the init, execs, and whatever else was
  // reparented to the shim (those are only reaped).
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == pid_) {
      exited_ = true;
      exit_code_ = ExitCode(status);
    } else {
      OnExecExit(pid, ExitCode(status));
    }
  }
}

void Shim::Sweep() {
  for (auto& client : clients_) {
    if (client->dead && client->exec != nullptr) {
      client->exec->client = nullptr;
      client->exec = nullptr;
    }
  }
  std::erase_if(clients_, [](auto& c) { return c->dead; });
}

int64_t Shim::NextDeadline(int64_t init_deadline, int64_t kill_deadline) const {
  int64_t next = 0;
  auto consider = [&](int64_t deadline) {
    if (deadline != 0 && (next == 0 || deadline < next)) next = deadline;
  };
  consider(init_deadline);
  consider(kill_deadline);
  for (const auto& exec : execs_) {
    if (exec->output_done) {
      consider(exec->flush_deadline);
    } else if (exec->exited) {
      consider(exec->drain_deadline);
    }
  }
  return next;
}

int Shim::Serve() {
  int64_t init_deadline = 0;
  int64_t kill_deadline = 0;
  std::vector<pollfd> fds;
  std::vector<PollTarget> targets;
  using Kind = PollTarget::Kind;
  auto add = [&](int fd, short events, PollTarget target) {
    fds.push_back({fd, events, 0});
    targets.push_back(target);
  };
  auto add_io = [&](HeldIo& io, Exec* exec) {
    for (int stream = 1; stream <= 2; ++stream) {
      if (io.output_fd(stream) >= 0) {
        add(io.output_fd(stream), POLLIN, {Kind::kOutput, exec, stream});
      }
    }
    if (io.stdin_pending()) add(io.stdin_fd(), POLLOUT, {Kind::kStdin, exec});
  };
  while (true) {
    int64_t now = MonotonicMs();
    if (exited_) {
      if (init_deadline == 0) init_deadline = now + kDrainMs;
      bool init_done = !io_.output_open() || now >= init_deadline;
      if (init_done && execs_.empty()) break;
      if (now >= init_deadline && kill_deadline == 0) {
        // With a pid namespace the kernel killed them with the init.
        // Without one an exec may outlive it; Docker's runtimes kill what
        // is left of a container whose init is gone.
        KillRunningExecs();
        kill_deadline = now + kKillWaitMs;
      }
      if (kill_deadline != 0 && now >= kill_deadline) break;
    }
    fds.clear();
    targets.clear();
    add(signal_fd_.get(), POLLIN, {Kind::kSignal});
    add(listener_.get(), POLLIN, {Kind::kListener});
    add_io(io_, nullptr);
    for (auto& exec : execs_) add_io(exec->io, exec.get());
    for (auto& client : clients_) {
      const HeldIo* feeds = client->kind == Client::Kind::kAttach ? &io_
                            : client->exec != nullptr ? &client->exec->io
                                                      : nullptr;
      bool stdin_full =
          client->stdin && feeds != nullptr && feeds->stdin_full();
      short events = 0;
      if (!client->read_closed && !stdin_full) events |= POLLIN;
      if (!client->backlog.empty()) events |= POLLOUT;
      add(client->fd.get(), events, {Kind::kClient, nullptr, 0, client.get()});
    }
    // The init's deadline counts until it has passed (kill_deadline set).
    int64_t deadline = NextDeadline(
        exited_ && kill_deadline == 0 ? init_deadline : 0, kill_deadline);
    int timeout = deadline == 0
                      ? -1
                      : static_cast<int>(std::max<int64_t>(0, deadline - now));
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    for (size_t i = 0; i < fds.size(); ++i) {
      short revents = fds[i].revents;
      if (revents == 0) continue;
      const PollTarget& target = targets[i];
      switch (target.kind) {
        case Kind::kSignal:
          Reap();
          break;
        case Kind::kListener:
          Accept();
          break;
        case Kind::kOutput:
          if (target.exec != nullptr) {
            ReadExecOutput(*target.exec, target.stream);
          } else {
            ReadInitOutput(target.stream);
          }
          break;
        case Kind::kStdin:
          (target.exec != nullptr ? target.exec->io : io_).FlushStdin();
          break;
        case Kind::kClient:
          if (target.client->dead) break;
          if (revents & POLLOUT) FlushClient(*target.client);
          if (revents & (POLLIN | POLLHUP | POLLERR)) {
            OnClientReadable(*target.client, revents);
          }
          break;
      }
    }
    AdvanceExecs(MonotonicMs());
    Sweep();
  }
  Finish();
  return exit_code_;
}

void Shim::Finish() {
  // Execs first: their exit files come before the container's, which
  // says the shim is done.
  Reap();
  for (auto& exec : execs_) {
    if (!exec->exited) exec->exit_code = 128 + SIGKILL;
    FinishExec(*exec, /*blocking=*/true);
  }
  execs_.clear();
  Sweep();

  absl::Status flushed = log_->Flush();
  if (!flushed.ok()) {
    fprintf(stderr, "berth-shim %s: log: %s\n", config_.id.c_str(),
            std::string(flushed.message()).c_str());
  }
  oom_killed_ = driver_->OomKilled();
  // Before the exit file: once it exists the container may start again
  // under the same id, and must find no old cgroup or runc state.
  driver_->Cleanup();
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
  unlink(Path(kSocketFile).c_str());
}

}  // namespace berth::shim
