#include "lib/job/dispatcher.h"

#include <memory>
#include <thread>

#include "glog/logging.h"

namespace berth {

absl::Status Dispatcher::Run(Job& job) {
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) {
      return absl::UnavailableError(
          "the engine is shutting down and accepts no new jobs");
    }
    ++running_;
  }
  absl::Status status;
  absl::StatusOr<Handler> handler = registry_->Lookup(job.name());
  if (handler.ok()) {
    VLOG(1) << "job " << job.name() << " started";
    status = (*handler)(job);
    VLOG(1) << "job " << job.name() << " done: " << status;
  } else {
    status = handler.status();
  }
  absl::MutexLock lock(&mu_);
  --running_;
  return status;
}

void Dispatcher::OnShutdown(std::function<void()> handler) {
  absl::MutexLock lock(&mu_);
  shutdown_handlers_.push_back(std::move(handler));
}

bool Dispatcher::ShuttingDown() const {
  absl::MutexLock lock(&mu_);
  return shutting_down_;
}

int Dispatcher::RunningJobs() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

ShutdownResult Dispatcher::Shutdown() {
  ShutdownResult result;
  std::vector<std::function<void()>> handlers;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return result;
    shutting_down_ = true;
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return running_ == 0;
    };
    mu_.AwaitWithTimeout(absl::Condition(&idle), config_.job_wait);
    result.abandoned_jobs = running_;
    handlers = shutdown_handlers_;
  }
  if (result.abandoned_jobs > 0) {
    LOG(WARNING) << result.abandoned_jobs
                 << " job(s) still running after the shutdown wait";
  }

  // Handlers run in parallel on threads of their own, so one that never
  // returns cannot hold the process past the deadline; the shared state
  // outlives this call for threads that are abandoned.
  struct Pending {
    absl::Mutex mu;
    int left ABSL_GUARDED_BY(mu);
  };
  auto pending = std::make_shared<Pending>();
  {
    absl::MutexLock lock(&pending->mu);
    pending->left = handlers.size();
  }
  for (std::function<void()>& handler : handlers) {
    std::thread([pending, handler = std::move(handler)] {
      handler();
      absl::MutexLock lock(&pending->mu);
      --pending->left;
    }).detach();
  }
  absl::MutexLock lock(&pending->mu);
  auto done = [&pending]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pending->mu) {
    return pending->left == 0;
  };
  if (!pending->mu.AwaitWithTimeout(absl::Condition(&done),
                                    config_.handler_wait)) {
    LOG(WARNING) << pending->left
                 << " shutdown handler(s) did not finish in time";
    result.handlers_timed_out = true;
  }
  return result;
}

}  // namespace berth
