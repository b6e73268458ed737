#ifndef BERTH_SERVICES_SHIM_SHIM_UTIL_H_
#define BERTH_SERVICES_SHIM_SHIM_UTIL_H_

// Small syscall helpers the shim's files share.

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/base/files.h"
#include "lib/base/unique_fd.h"

namespace berth::shim {

inline int64_t MonotonicMs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1000000;
}

inline void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// A close-on-exec pipe: the child's end is dup2'ed to its stdio, which
// clears the flag there only.
inline absl::Status MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return absl::OkStatus();
}

// Sends everything, blocking up to a couple of seconds: used on the way
// out, when nothing else needs the loop.
inline void SendAllBlocking(int fd, absl::string_view data) {
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

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_SHIM_UTIL_H_
