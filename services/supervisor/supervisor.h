#ifndef BERTH_SERVICES_SUPERVISOR_SUPERVISOR_H_
#define BERTH_SERVICES_SUPERVISOR_SUPERVISOR_H_

#include <sys/types.h>

#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/config.pb.h"
#include "proto/job.pb.h"
#include "services/supervisor/process.h"

namespace berth {

// The mainDaemon steps a service belongs to.
enum class BootStage {
  kEngine,    // engine.New()
  kBuiltins,  // builtins.Register: gateway, netd, registry
  kDaemon,    // daemon.MainDaemon, started in the background
};

// What a service declares; the boot order within a stage falls out of
// `after`, not out of the order of the table.
struct ServiceSpec {
  std::string name;    // its socket is <exec-root>/<name>.sock
  std::string binary;  // beside berthd
  BootStage stage;
  std::vector<std::string> after;
  // A job it registers: it counts as up once the engine routes it there.
  // Empty for the engine itself.
  std::string ready_job;
  // Gets berthd's systemd activation sockets.
  bool takes_listen_fds = false;
};

struct SupervisorOptions {
  std::string binary_dir;
  v1::DaemonConfig config;
  // Extra flags for every service (logging).
  std::vector<std::string> service_args;
  std::vector<int> listen_fds;
  std::vector<std::string> listen_fd_names;
  absl::Duration start_timeout = absl::Seconds(20);
  // More exits than this within `restart_window` is a crash loop.
  int max_restarts = 5;
  absl::Duration restart_window = absl::Seconds(60);
};

// Starts berth's services, restarts the ones that die (with backoff), and
// stops them in reverse order. Thread-safe: the boot sequence, the signal
// loop and the shutdown run on different threads.
class Supervisor {
 public:
  Supervisor(SupervisorOptions options, std::vector<ServiceSpec> services);

  // Starts every service of `stage`, each waited on until it is healthy
  // and its jobs are registered.
  absl::Status StartStage(BootStage stage);

  // Runs a job through the engine that configures `service` (serveapi,
  // acceptconnections), and remembers it to run again should the service
  // restart.
  absl::Status RunBootJob(const std::string& service, const v1::JobSpec& spec);

  // Reaps exited children (on SIGCHLD) and schedules restarts. A service
  // that keeps dying is an error: berthd must stop.
  absl::Status ReapChildren();

  // Restarts what is due; returns when the next restart is due.
  absl::Time RunDueRestarts();

  // SIGTERM to every service in reverse start order, SIGKILL to what is
  // left at `deadline`; returns once all have exited.
  void StopAll(absl::Time deadline);

  // SIGKILL to every service, at once.
  void KillAll();

  // The sorted boot order of every declared service (for tests and logs).
  absl::StatusOr<std::vector<std::string>> BootOrder() const;

 private:
  struct Child {
    const ServiceSpec* spec = nullptr;
    pid_t pid = 0;
    bool started_once = false;
    absl::Time restart_at = absl::InfiniteFuture();
    std::deque<absl::Time> exits;
    std::vector<v1::JobSpec> boot_jobs;
  };

  absl::Status StartLocked(Child& child) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits (without the lock) for the child to be healthy and registered.
  absl::Status WaitReady(const ServiceSpec& spec, pid_t pid);
  bool Alive(const std::string& name, pid_t pid);
  void AfterRestart(const std::string& name, pid_t pid);

  const SupervisorOptions options_;
  const std::vector<ServiceSpec> specs_;
  SpawnThread spawner_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Child> children_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> start_order_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace berth

#endif  // BERTH_SERVICES_SUPERVISOR_SUPERVISOR_H_
