#include "services/engine/event_log.h"

#include "absl/time/clock.h"

namespace berth {
namespace {

// A subscriber this far behind is dropped rather than let the engine's
// memory grow without bound.
constexpr size_t kMaxQueued = 4096;

}  // namespace

v1::Event EventLog::Publish(v1::Event event) {
  absl::MutexLock lock(&mu_);
  if (event.time_nano() == 0) {
    int64_t now = absl::GetCurrentTimeNanos();
    // Keep history ordered even if the clock steps back.
    if (!history_.empty() && now < history_.back().time_nano()) {
      now = history_.back().time_nano();
    }
    event.set_time_nano(now);
  }
  history_.push_back(event);
  if (history_.size() > capacity_) history_.pop_front();
  for (Subscription* subscriber : subscribers_) {
    absl::MutexLock sub_lock(&subscriber->mu_);
    if (subscriber->closed_) continue;
    if (subscriber->queue_.size() >= kMaxQueued) {
      subscriber->closed_ = true;
      continue;
    }
    subscriber->queue_.push_back(event);
  }
  return event;
}

std::unique_ptr<EventLog::Subscription> EventLog::Subscribe(
    std::optional<int64_t> since_nano, std::vector<v1::Event>* replay,
    bool bounded) {
  auto subscription =
      std::unique_ptr<Subscription>(new Subscription(this, bounded));
  absl::MutexLock lock(&mu_);
  if (since_nano.has_value() && replay != nullptr) {
    for (const v1::Event& event : history_) {
      if (event.time_nano() >= *since_nano) replay->push_back(event);
    }
  }
  subscribers_.insert(subscription.get());
  return subscription;
}

int EventLog::SubscribersCount() const {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

void EventLog::CloseUnbounded() {
  absl::MutexLock lock(&mu_);
  for (Subscription* subscriber : subscribers_) {
    if (subscriber->bounded_) continue;
    absl::MutexLock sub_lock(&subscriber->mu_);
    subscriber->closed_ = true;
  }
}

void EventLog::Unsubscribe(Subscription* subscription) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(subscription);
}

EventLog::Subscription::~Subscription() { log_->Unsubscribe(this); }

bool EventLog::Subscription::Next(v1::Event* event, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || !queue_.empty();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (queue_.empty()) return false;
  *event = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

bool EventLog::Subscription::Closed() const {
  absl::MutexLock lock(&mu_);
  return closed_ && queue_.empty();
}

}  // namespace berth
