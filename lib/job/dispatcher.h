#ifndef BERTH_LIB_JOB_DISPATCHER_H_
#define BERTH_LIB_JOB_DISPATCHER_H_

#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/job/handler_registry.h"
#include "lib/job/job.h"

namespace berth {

struct DispatcherConfig {
  // The seed's engine.Shutdown: 5 s for running jobs, then 10 s for the
  // shutdown handlers, 15 s in all.
  absl::Duration job_wait = absl::Seconds(5);
  absl::Duration handler_wait = absl::Seconds(10);
};

struct ShutdownResult {
  int abandoned_jobs = 0;
  bool handlers_timed_out = false;
};

// Runs jobs by name and implements the shutdown protocol: once Shutdown
// starts, new jobs are refused with Unavailable, running jobs get
// `job_wait` to finish, then the shutdown handlers run, bounded by
// `handler_wait`.
class Dispatcher {
 public:
  Dispatcher(const HandlerRegistry* registry, DispatcherConfig config = {})
      : registry_(registry), config_(config) {}

  absl::Status Run(Job& job);

  void OnShutdown(std::function<void()> handler);

  // Idempotent; a second call returns at once with an empty result.
  ShutdownResult Shutdown();

  bool ShuttingDown() const;
  int RunningJobs() const;

 private:
  const HandlerRegistry* registry_;
  const DispatcherConfig config_;

  mutable absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::function<void()>> shutdown_handlers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth

#endif  // BERTH_LIB_JOB_DISPATCHER_H_
