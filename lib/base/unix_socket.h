#ifndef BERTH_LIB_BASE_UNIX_SOCKET_H_
#define BERTH_LIB_BASE_UNIX_SOCKET_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"

namespace berth {

// Unix stream sockets at paths of any length. sockaddr_un holds 107 bytes,
// and a container's socket under a deep --exec-root does not fit; the
// path is reached through /proc/self/fd/<dir> instead, which always does.

// Binds and listens at `path` (replacing a stale socket file) with `mode`.
absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int mode = 0600);

// Connects to `path`. NotFound when nothing listens there (no file, or a
// socket file nobody serves any more).
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path);

}  // namespace berth

#endif  // BERTH_LIB_BASE_UNIX_SOCKET_H_
