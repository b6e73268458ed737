#ifndef BERTH_SERVICES_SUPERVISOR_DAEMON_H_
#define BERTH_SERVICES_SUPERVISOR_DAEMON_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proto/config.pb.h"
#include "services/supervisor/supervisor.h"

namespace berth {

// berth's services and where each boots: the table the supervisor orders.
std::vector<ServiceSpec> BerthServices();

// berthd's life, the seed's mainDaemon: pidfile, engine, signal trap,
// builtins, the daemon part in the background, serveapi, then
// acceptconnections and READY=1; on SIGINT/SIGTERM (SIGQUIT unless
// debugging) the orderly shutdown, within 15 s.
class Daemon {
 public:
  Daemon(v1::DaemonConfig config, SupervisorOptions supervisor_options);

  // Call first in main, before any thread exists.
  static void BlockSignals();

  // Returns the process exit code.
  int Run();

 private:
  absl::Status Boot();
  void SignalLoop();
  // Starts the shutdown once; later calls only lower nothing.
  void RequestShutdown(int exit_code);
  void Shutdown();

  const v1::DaemonConfig config_;
  Supervisor supervisor_;

  absl::Mutex mu_;
  bool shutdown_started_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int exit_code_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace berth

#endif  // BERTH_SERVICES_SUPERVISOR_DAEMON_H_
