#include "services/shim/console_socket.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/base/unix_socket.h"

namespace berth::shim {
namespace {

absl::Status WaitReadable(int fd, int timeout_ms, absl::string_view what) {
  pollfd pfd = {fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&pfd, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ErrnoStatus(errno, "poll");
  if (rc == 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        "runc sent no pty master: no ", what, " within ", timeout_ms, " ms"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ConsoleSocket> ConsoleSocket::Listen(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd listener, ListenUnix(path, 0600));
  return ConsoleSocket(path, std::move(listener));
}

ConsoleSocket::~ConsoleSocket() {
  if (listener_.valid()) unlink(path_.c_str());
}

absl::StatusOr<UniqueFd> ConsoleSocket::ReceiveMaster(int timeout_ms) {
  BERTH_RETURN_IF_ERROR(
      WaitReadable(listener_.get(), timeout_ms, "connection"));
  UniqueFd conn(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn.valid()) return ErrnoStatus(errno, "accept on the console socket");
  BERTH_RETURN_IF_ERROR(WaitReadable(conn.get(), timeout_ms, "message"));
  // runc sends the pty's name as the data and the master as the one fd.
  char name[512];
  iovec iov = {name, sizeof(name)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus(errno, "recvmsg on the console socket");
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr;
       cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
        cmsg->cmsg_len == CMSG_LEN(sizeof(int))) {
      int fd;
      memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
      return UniqueFd(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    return absl::InternalError(
        "the console socket's message carried more than one fd");
  }
  return absl::InternalError("runc's console message carried no fd");
}

}  // namespace berth::shim
