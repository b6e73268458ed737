#include "lib/base/sd_notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace berth {

absl::StatusOr<bool> SdNotify(absl::string_view state) {
  const char* socket_path = getenv("NOTIFY_SOCKET");
  if (socket_path == nullptr || socket_path[0] == '\0') return false;
  std::string path = socket_path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("NOTIFY_SOCKET too long: ", path));
  }
  memcpy(addr.sun_path, path.data(), path.size());
  // A leading '@' names an abstract socket.
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = offsetof(sockaddr_un, sun_path) + path.size();
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                     reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (n < 0) {
    return absl::UnavailableError(
        absl::StrCat("notify ", path, ": ", strerror(err)));
  }
  return true;
}

}  // namespace berth
