#ifndef BERTH_SERVICES_SUPERVISOR_PROCESS_H_
#define BERTH_SERVICES_SUPERVISOR_PROCESS_H_

#include <sys/types.h>

#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace berth {

struct SpawnOptions {
  std::string binary;
  std::vector<std::string> args;
  // Listening sockets handed down with systemd's protocol: each fd here
  // becomes fd 3, 4, ... in the child, with LISTEN_FDS/LISTEN_PID set.
  std::vector<int> listen_fds;
  std::vector<std::string> listen_fd_names;
};

// fork+exec with an empty signal mask; the child gets SIGTERM if the
// forking thread dies (see SpawnThread), so services never outlive berthd.
absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);

// Runs every Spawn on one thread that lives as long as this object, so
// the children's death signal (which follows the forking thread, not the
// process) fires only when berthd itself goes, whichever thread asked.
class SpawnThread {
 public:
  SpawnThread();
  ~SpawnThread();
  absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);

 private:
  struct Request;
  void Loop();

  absl::Mutex mu_;
  std::deque<Request*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// A human-readable wait status: "exit status 1", "signal 9 (Killed)".
std::string DescribeWaitStatus(int status);

}  // namespace berth

#endif  // BERTH_SERVICES_SUPERVISOR_PROCESS_H_
