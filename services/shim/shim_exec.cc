// The shim's exec processes (`docker exec`): started on request, streamed
// to the connection that asked, reaped, and recorded in BUNDLE/exec.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "lib/base/files.h"
#include "lib/docker/stream_frame.h"
#include "services/shim/oci_process.h"
#include "services/shim/shim.h"
#include "services/shim/shim_protocol.h"
#include "services/shim/shim_util.h"
#include "services/shim/spawn_error.h"

namespace berth::shim {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxExecIdLength = 128;
// After an exec exits, how long output may still come (from a process it
// left behind that holds its stdout).
constexpr int kExecDrainMs = 2000;
// Its output all read, how long its client may take to receive the rest.
constexpr int kExecFlushMs = 5000;

// "err CODE MESSAGE\n", CODE as absl spells it (NOT_FOUND, ...).
std::string ErrLine(const absl::Status& status) {
  return absl::StrCat("err ", absl::StatusCodeToString(status.code()), " ",
                      absl::StrReplaceAll(status.message(), {{"\n", " "}}),
                      "\n");
}

// A file name in BUNDLE/exec: no path, no hidden or temp files.
bool ValidExecId(const std::string& id) {
  if (id.empty() || id.size() > kMaxExecIdLength || id[0] == '.') return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Shim::ExecPath(const std::string& id, const char* suffix) const {
  return absl::StrCat(bundle_, "/", kExecDir, "/", id, suffix);
}

absl::Status Shim::CheckExecAllowed(const std::string& id) const {
  if (!ValidExecId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid exec id \"", id, "\": 1 to ", kMaxExecIdLength,
                     " of [A-Za-z0-9_.-], not starting with '.'"));
  }
  if (pid_ <= 0 || exited_) {
    return absl::FailedPreconditionError("container is not running");
  }
  bool running = false;
  for (const auto& exec : execs_) running = running || exec->id == id;
  if (running || access(ExecPath(id, kExecExitSuffix).c_str(), F_OK) == 0 ||
      access(ExecPath(id, kExecPidSuffix).c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("exec ", id, " has already run: an exec id is used once"));
  }
  return absl::OkStatus();
}

void Shim::StartExec(Client& client, const std::vector<std::string>& words) {
  auto is_flag = [](const std::string& word) {
    return word == "0" || word == "1";
  };
  bool detach = words.size() == 3 && words[2] == "detach";
  bool attach = words.size() == 5 && is_flag(words[2]) && is_flag(words[3]) &&
                is_flag(words[4]);
  if (!detach && !attach) {
    return Answer(client,
                  ErrLine(absl::InvalidArgumentError(
                      "usage: exec EXECID I O E | exec EXECID detach")));
  }
  const std::string& id = words[1];
  absl::Status allowed = CheckExecAllowed(id);
  if (!allowed.ok()) return Answer(client, ErrLine(allowed));
  std::string process_file = ExecPath(id, kExecProcessSuffix);
  absl::StatusOr<std::string> json = ReadFile(process_file);
  if (!json.ok()) {
    return Answer(client,
                  ErrLine(absl::Status(json.status().code(),
                                       absl::StrCat("exec ", id,
                                                    ": read the process "
                                                    "file: ",
                                                    json.status().message()))));
  }
  absl::StatusOr<runtime::Process> process = ParseOciProcess(*json);
  if (!process.ok()) {
    return Answer(
        client,
        ErrLine(absl::Status(
            process.status().code(),
            absl::StrCat(process_file, ": ", process.status().message()))));
  }

  bool in = attach && words[2] == "1";
  bool out = attach && words[3] == "1";
  bool err = attach && words[4] == "1";
  auto exec = std::make_unique<Exec>();
  exec->id = id;
  SpawnStdio stdio;
  stdio.terminal = process->terminal;
  // Streams nobody attached are /dev/null (-1), as with Docker.
  UniqueFd child_in, child_out, child_err;
  absl::Status piped;
  if (!stdio.terminal) {
    if (in) {
      UniqueFd write_end;
      piped.Update(MakePipe(&child_in, &write_end));
      exec->io.SetStdin(std::move(write_end));
    }
    if (out) {
      UniqueFd read_end;
      piped.Update(MakePipe(&read_end, &child_out));
      exec->io.SetOutput(1, std::move(read_end));
    }
    if (err) {
      UniqueFd read_end;
      piped.Update(MakePipe(&read_end, &child_err));
      exec->io.SetOutput(2, std::move(read_end));
    }
    if (!piped.ok()) return Answer(client, ErrLine(piped));
    stdio.in = child_in.get();
    stdio.out = child_out.get();
    stdio.err = child_err.get();
  }

  absl::StatusOr<Spawned> spawned =
      driver_->Exec(id, process_file, *process, stdio);
  child_in.reset();
  child_out.reset();
  child_err.reset();
  if (!spawned.ok()) {
    // It ran, as far as the exec's record goes: exit file first.
    WriteExecExit(id, SpawnFailureExitCode(spawned.status()));
    if (detach) return Answer(client, ErrLine(spawned.status()));
    std::string line = ExecFailureLine(spawned.status());
    client.kind = Client::Kind::kControl;
    if (!stdio.terminal) {
      std::array<char, 8> header = StreamFrameHeader(2, line.size());
      Queue(client, header.data(), header.size());
    }
    Queue(client, line.data(), line.size());
    client.closing = true;
    FlushClient(client);
    return;
  }
  exec->pid = spawned->pid;
  if (stdio.terminal) {
    // Without a client the pty's output is read and dropped, so that the
    // process never blocks on a full terminal.
    exec->io.AdoptPty(std::move(spawned->pty_master), in);
  }
  absl::Status recorded = WriteFileAtomic(ExecPath(id, kExecPidSuffix),
                                          absl::StrCat(exec->pid, "\n"), 0644);
  if (!recorded.ok()) {
    fprintf(stderr, "berth-shim %s: exec %s: %s\n", config_.id.c_str(),
            id.c_str(), std::string(recorded.message()).c_str());
  }
  if (detach) {
    Answer(client, absl::StrCat("ok ", exec->pid, "\n"));
  } else {
    client.kind = Client::Kind::kExec;
    client.stdin = in;
    client.streams[0] = out;
    client.streams[1] = err;
    client.exec = exec.get();
    exec->client = &client;
  }
  execs_.push_back(std::move(exec));
}

absl::Status Shim::ResizeExec(const std::string& id, unsigned height,
                              unsigned width) {
  for (auto& exec : execs_) {
    if (exec->id != id || exec->exited) continue;
    if (!exec->io.tty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("exec ", id, " has no tty"));
    }
    winsize size{};
    size.ws_row = height;
    size.ws_col = width;
    if (ioctl(exec->io.pty_master(), TIOCSWINSZ, &size) != 0) {
      return ErrnoStatus(errno, "resize");
    }
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("no running exec ", id));
}

void Shim::ReadExecOutput(Exec& exec, int stream) {
  char buf[kReadChunk];
  ssize_t n = exec.io.ReadOutput(stream, buf, sizeof(buf));
  if (n <= 0) return;
  Client* client = exec.client;
  if (client == nullptr || client->dead || !client->streams[stream - 1]) {
    return;
  }
  if (!exec.io.tty()) {
    std::array<char, 8> header = StreamFrameHeader(stream, n);
    Queue(*client, header.data(), header.size());
  }
  Queue(*client, buf, n);
  FlushClient(*client);
}

void Shim::OnExecExit(pid_t pid, int code) {
  for (auto& exec : execs_) {
    if (exec->pid != pid || exec->exited) continue;
    exec->exited = true;
    exec->exit_code = code;
    exec->drain_deadline = MonotonicMs() + kExecDrainMs;
    return;
  }
}

void Shim::AdvanceExecs(int64_t now) {
  for (auto& exec : execs_) {
    if (!exec->exited) continue;
    if (!exec->output_done &&
        (!exec->io.output_open() || now >= exec->drain_deadline)) {
      exec->io.CloseOutputs();
      exec->output_done = true;
      exec->flush_deadline = now + kExecFlushMs;
    }
    if (!exec->output_done) continue;
    Client* client = exec->client;
    if (client == nullptr || client->dead || client->backlog.empty() ||
        now >= exec->flush_deadline) {
      FinishExec(*exec, /*blocking=*/false);
    }
  }
  std::erase_if(execs_, [](auto& exec) { return exec->pid < 0; });
}

void Shim::KillRunningExecs() {
  for (auto& exec : execs_) {
    if (!exec->exited && exec->pid > 0) kill(exec->pid, SIGKILL);
  }
}

void Shim::FinishExec(Exec& exec, bool blocking) {
  Client* client = exec.client;
  if (blocking && client != nullptr && !client->dead) {
    SendAllBlocking(client->fd.get(), client->backlog);
    client->backlog.clear();
  }
  WriteExecExit(exec.id, exec.exit_code);
  if (client != nullptr) {
    // Closed by Sweep, after the exit file exists.
    client->exec = nullptr;
    client->dead = true;
    exec.client = nullptr;
  }
  exec.pid = -1;  // finished: AdvanceExecs drops it
}

void Shim::WriteExecExit(const std::string& id, int code) {
  absl::Status written = WriteFileAtomic(ExecPath(id, kExecExitSuffix),
                                         absl::StrCat(code, "\n"), 0644);
  if (!written.ok()) {
    fprintf(stderr, "berth-shim %s: exec %s: %s\n", config_.id.c_str(),
            id.c_str(), std::string(written.message()).c_str());
  }
}

}  // namespace berth::shim
