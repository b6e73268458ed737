#ifndef BERTH_SERVICES_SHIM_SHIM_H_
#define BERTH_SERVICES_SHIM_SHIM_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "services/shim/held_io.h"
#include "services/shim/json_log_writer.h"
#include "services/shim/runtime_driver.h"
#include "services/shim/shim_config.h"

namespace berth::shim {

// One shim per container: starts it, holds its stdio, writes its log,
// serves attach/exec/wait/kill/resize/pause on its socket, reaps it and
// its execs, records their exits, and leaves. See shim_protocol.h.
class Shim {
 public:
  // `bundle` must be absolute (runc runs in it).
  Shim(std::string bundle, ShimConfig config);
  ~Shim();

  // Everything up to the container running; then Serve() until it exits.
  // Errors are reported on the ready fd by the caller.
  absl::Status Start();
  // Returns the exit code of the container.
  int Serve();

 private:
  struct Exec;

  // A connection on shim.sock.
  struct Client {
    enum class Kind { kHandshake, kAttach, kExec, kWait, kControl };
    UniqueFd fd;
    Kind kind = Kind::kHandshake;
    bool stdin = false;
    bool streams[2] = {false, false};  // stdout, stderr
    std::string line;
    std::string backlog;
    // Closes once the backlog is out (after a control answer).
    bool closing = false;
    bool read_closed = false;
    bool dead = false;
    Exec* exec = nullptr;  // kExec: the exec it carries, while both live
  };

  // A `docker exec` process.
  struct Exec {
    std::string id;
    pid_t pid = -1;
    HeldIo io;
    Client* client = nullptr;  // null when detached or gone
    bool exited = false;
    int exit_code = 0;
    // After the exit: until when output may still come.
    int64_t drain_deadline = 0;
    // Output all read: until when the client may take to receive it.
    bool output_done = false;
    int64_t flush_deadline = 0;
  };

  // What a pollfd in Serve's loop stands for.
  struct PollTarget {
    enum class Kind { kSignal, kListener, kOutput, kStdin, kClient };
    Kind kind;
    Exec* exec = nullptr;  // kOutput, kStdin: null for the container's init
    int stream = 0;        // kOutput
    Client* client = nullptr;
  };

  // shim.cc: the container, attach, control requests, the loop.
  absl::Status OpenStdio();
  absl::Status FinishStart();
  absl::Status WaitForAttaches();
  void Accept();
  void OnClientReadable(Client& client, short revents);
  void HandleRequest(Client& client, const std::string& line);
  void Answer(Client& client, absl::string_view text);
  void Queue(Client& client, const char* data, size_t size);
  void FlushClient(Client& client);
  void Broadcast(int stream, const char* data, size_t size);
  void ReadInitOutput(int stream);
  void Reap();
  void Sweep();
  int64_t NextDeadline(int64_t init_deadline, int64_t kill_deadline) const;
  void Finish();
  std::string Path(const char* name) const;

  // shim_exec.cc: exec processes.
  void StartExec(Client& client, const std::vector<std::string>& words);
  absl::Status CheckExecAllowed(const std::string& id) const;
  absl::Status ResizeExec(const std::string& id, unsigned height,
                          unsigned width);
  void ReadExecOutput(Exec& exec, int stream);
  void OnExecExit(pid_t pid, int code);
  // Moves finished execs on: output done, exit file, connection closed.
  void AdvanceExecs(int64_t now);
  void KillRunningExecs();
  // The exit file, then the connection closed (blocking briefly to hand
  // over what is left when `blocking`).
  void FinishExec(Exec& exec, bool blocking);
  void WriteExecExit(const std::string& id, int code);
  std::string ExecPath(const std::string& id, const char* suffix) const;

  std::string bundle_;
  ShimConfig config_;
  std::unique_ptr<RuntimeDriver> driver_;
  HeldIo io_;
  UniqueFd child_in_, child_out_, child_err_;  // until the init runs
  UniqueFd listener_;
  UniqueFd signal_fd_;
  std::optional<JsonLogWriter> log_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::unique_ptr<Exec>> execs_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = 0;
  bool oom_killed_ = false;
};

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_SHIM_H_
