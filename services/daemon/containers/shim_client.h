#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_SHIM_CLIENT_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_SHIM_CLIENT_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace berth {

// Starts berth-shim for the bundle, detached (its own session, reparented
// away from berth-daemon so that it outlives it), and returns the
// container's pid once it runs. `on_listening` runs when the shim's
// socket accepts attaches, before the container starts. A container that
// could not start comes back as the shim's error, with its code.
absl::StatusOr<pid_t> LaunchShim(const std::string& shim_binary,
                                 const std::string& bundle,
                                 const std::function<void()>& on_listening);

// One request line to the shim at `socket`, its one-line answer ("ok" is
// OK; "err MESSAGE" is FailedPrecondition with MESSAGE).
absl::Status ShimRequest(const std::string& socket, const std::string& line);

// The same for a request answered "ok VALUE": returns VALUE.
absl::StatusOr<std::string> ShimQuery(const std::string& socket,
                                      const std::string& line);

struct ShimExit {
  int exit_code = 0;
  bool oom_killed = false;
};

// Blocks until the shim reports the container's exit. Unavailable when
// the shim went away without saying (its exit file then tells).
absl::StatusOr<ShimExit> WaitForShimExit(const std::string& socket);

// The exit file a finished shim left; NotFound while it runs.
struct ExitRecord {
  int exit_code = 0;
  bool oom_killed = false;
  int64_t finished_ns = 0;
};
absl::StatusOr<ExitRecord> ReadExitFile(const std::string& bundle);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_SHIM_CLIENT_H_
