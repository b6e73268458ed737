#ifndef BERTH_SERVICES_SHIM_SHIM_H_
#define BERTH_SERVICES_SHIM_SHIM_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/unique_fd.h"
#include "services/shim/json_log_writer.h"
#include "services/shim/shim_config.h"

namespace berth::runtime {
class Cgroup;
}

namespace berth::shim {

// The container's stdio as the shim holds it, and the ends the container
// gets (closed in the shim once it runs).
struct HeldStdio {
  UniqueFd stdin_write;  // -1 without OpenStdin
  UniqueFd stdout_read;  // the pty master with a tty
  UniqueFd stderr_read;  // -1 with a tty
  UniqueFd pty_master;   // for resize; same file as stdout_read
  UniqueFd child_in, child_out, child_err;
};

// One shim per container: starts it, holds its stdio, writes its log,
// serves attach/wait/kill/resize/pause on its socket, reaps it, records
// the exit, and leaves. See shim_protocol.h.
class Shim {
 public:
  Shim(std::string bundle, ShimConfig config);
  ~Shim();

  // Everything up to the container running; then Serve() until it exits.
  // Errors are reported on the ready fd by the caller.
  absl::Status Start();
  // Returns the exit code of the container.
  int Serve();

 private:
  struct Client;

  absl::Status OpenStdio();
  absl::Status WaitForAttaches();
  void Accept();
  void OnClientReadable(Client& client);
  void HandleRequest(Client& client, const std::string& line);
  void Broadcast(int stream, const char* data, size_t size);
  void Queue(Client& client, const char* data, size_t size);
  void FlushClient(Client& client);
  void FlushStdin();
  void CloseStdin();
  bool ReadOutput(int stream);
  void Reap();
  void Finish();
  std::string Path(const char* name) const;

  std::string bundle_;
  ShimConfig config_;
  HeldStdio stdio_;
  UniqueFd listener_;
  UniqueFd signal_fd_;
  std::optional<JsonLogWriter> log_;
  std::unique_ptr<runtime::Cgroup> cgroup_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::string stdin_buffer_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = 0;
  bool oom_killed_ = false;
  bool output_open_[2] = {false, false};
  bool close_stdin_when_flushed_ = false;
};

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_SHIM_H_
