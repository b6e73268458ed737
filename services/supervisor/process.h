#ifndef BERTH_SERVICES_SUPERVISOR_PROCESS_H_
#define BERTH_SERVICES_SUPERVISOR_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth {

struct SpawnOptions {
  std::string binary;
  std::vector<std::string> args;
  // Listening sockets handed down with systemd's protocol: each fd here
  // becomes fd 3, 4, ... in the child, with LISTEN_FDS/LISTEN_PID set.
  std::vector<int> listen_fds;
  std::vector<std::string> listen_fd_names;
};

// fork+exec with an empty signal mask; the child gets SIGTERM if berthd
// dies, so services never outlive their supervisor. Call from a thread
// that lives as long as the child should (the death signal follows the
// forking thread).
absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);

// A human-readable wait status: "exit status 1", "signal 9 (Killed)".
std::string DescribeWaitStatus(int status);

}  // namespace berth

#endif  // BERTH_SERVICES_SUPERVISOR_PROCESS_H_
