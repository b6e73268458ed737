#include "lib/base/unix_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"

namespace berth {
namespace {

// Runs `op` with an address for `path`: the path itself when it fits,
// else its base name under the /proc/self/fd link of its directory.
template <typename Op>
absl::StatusOr<UniqueFd> WithAddress(const std::string& path, Op op) {
  UniqueFd dir;
  std::string name = path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    size_t slash = path.rfind('/');
    std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    dir.reset(open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return ErrnoStatus(errno, absl::StrCat("open ", parent));
    name =
        absl::StrCat("/proc/self/fd/", dir.get(), "/", path.substr(slash + 1));
    if (name.size() >= sizeof(addr.sun_path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("socket name too long: ", path));
    }
  }
  memcpy(addr.sun_path, name.data(), name.size());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus(errno, "socket");
  BERTH_RETURN_IF_ERROR(op(fd.get(), addr));
  return fd;
}

}  // namespace

absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int mode) {
  unlink(path.c_str());
  return WithAddress(path, [&](int fd, const sockaddr_un& addr) {
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      return ErrnoStatus(errno, absl::StrCat("bind ", path));
    }
    if (chmod(path.c_str(), mode) != 0) {
      return ErrnoStatus(errno, absl::StrCat("chmod ", path));
    }
    if (listen(fd, 64) != 0) {
      return ErrnoStatus(errno, absl::StrCat("listen ", path));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path) {
  return WithAddress(path, [&](int fd, const sockaddr_un& addr) {
    int rc;
    do {
      rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return absl::OkStatus();
    if (errno == ENOENT || errno == ECONNREFUSED) {
      return absl::NotFoundError(absl::StrCat("nothing listens at ", path));
    }
    return ErrnoStatus(errno, absl::StrCat("connect ", path));
  });
}

}  // namespace berth
