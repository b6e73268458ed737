#include "gateway/http/gate.h"

namespace berth::gateway {

void Gate::Open() {
  absl::MutexLock lock(&mu_);
  open_ = true;
}

bool Gate::IsOpen() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

bool Gate::WaitOpen(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  ++waiters_;
  bool open = mu_.AwaitWithTimeout(absl::Condition(&open_), timeout);
  --waiters_;
  return open;
}

int Gate::waiters() const {
  absl::MutexLock lock(&mu_);
  return waiters_;
}

}  // namespace berth::gateway
