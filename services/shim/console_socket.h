#ifndef BERTH_SERVICES_SHIM_CONSOLE_SOCKET_H_
#define BERTH_SERVICES_SHIM_CONSOLE_SOCKET_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"

namespace berth::shim {

// The unix socket `runc --console-socket` connects to: runc creates the
// container's pty inside it and sends the master over this socket as
// SCM_RIGHTS. The socket file is removed when this goes away.
class ConsoleSocket {
 public:
  static absl::StatusOr<ConsoleSocket> Listen(const std::string& path);

  ConsoleSocket(ConsoleSocket&& other) = default;
  ConsoleSocket& operator=(ConsoleSocket&& other) = default;
  ~ConsoleSocket();

  // The master runc sent. runc has sent it by the time `runc create` or
  // `runc exec --detach` returns, so this waits at most `timeout_ms`
  // for a connection and its message.
  absl::StatusOr<UniqueFd> ReceiveMaster(int timeout_ms);

 private:
  ConsoleSocket(std::string path, UniqueFd listener)
      : path_(std::move(path)), listener_(std::move(listener)) {}

  std::string path_;
  UniqueFd listener_;
};

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_CONSOLE_SOCKET_H_
