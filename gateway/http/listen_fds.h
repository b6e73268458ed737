#ifndef BERTH_GATEWAY_HTTP_LISTEN_FDS_H_
#define BERTH_GATEWAY_HTTP_LISTEN_FDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::gateway {

// The first file descriptor systemd passes (SD_LISTEN_FDS_START).
inline constexpr int kListenFdsStart = 3;

// What systemd socket activation put in the environment.
struct ListenFdsEnv {
  int pid = 0;                     // LISTEN_PID
  int count = 0;                   // LISTEN_FDS
  std::vector<std::string> names;  // LISTEN_FDNAMES, ':'-separated
};

// Reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES. The variables are left
// in place so that several fd:// hosts can each pick their sockets.
absl::StatusOr<ListenFdsEnv> ReadListenFdsEnv();

// Picks the descriptors an fd:// host names: `spec` "" for all of them, a
// number for that descriptor, or a name from LISTEN_FDNAMES. Fails if the
// sockets were meant for another process (LISTEN_PID != `self_pid`) or the
// named one was not passed.
absl::StatusOr<std::vector<int>> SelectListenFds(absl::string_view spec,
                                                 const ListenFdsEnv& env,
                                                 int self_pid);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_LISTEN_FDS_H_
