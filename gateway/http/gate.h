#ifndef BERTH_GATEWAY_HTTP_GATE_H_
#define BERTH_GATEWAY_HTTP_GATE_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace berth::gateway {

// Holds API requests back until the daemon has finished booting
// (dockerd's "acceptconnections" activation lock): the gateway listens
// early so clients connect instead of failing, and requests wait here.
// Opens once and stays open. Thread-safe.
class Gate {
 public:
  Gate() = default;
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  void Open();
  bool IsOpen() const;
  // Blocks until the gate is open or `timeout` passes; true if open.
  bool WaitOpen(absl::Duration timeout);
  // Threads currently inside WaitOpen(); lets startup logs and tests see
  // that requests are queued.
  int waiters() const;

 private:
  mutable absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_GATE_H_
