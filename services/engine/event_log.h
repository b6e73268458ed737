#ifndef BERTH_SERVICES_ENGINE_EVENT_LOG_H_
#define BERTH_SERVICES_ENGINE_EVENT_LOG_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/engine.pb.h"

namespace berth {

// The engine's events: a bounded history for `since` replay (256 like
// moby) and live fan-out to subscribers.
class EventLog {
 public:
  class Subscription;

  explicit EventLog(size_t capacity = 256) : capacity_(capacity) {}

  // Records `event`, stamping the time when it has none.
  v1::Event Publish(v1::Event event);

  // Subscribes and, when `since_nano` is set, fills `replay` with the
  // recorded events from that time on; atomic, so nothing is missed or
  // seen twice between the two. A `bounded` subscription ends by itself
  // (its stream has an `until`).
  std::unique_ptr<Subscription> Subscribe(std::optional<int64_t> since_nano,
                                          std::vector<v1::Event>* replay,
                                          bool bounded = false);

  int SubscribersCount() const;

  // Ends every subscription that would not end by itself (engine
  // shutdown): an endless stream is no work in flight, a bounded one is.
  void CloseUnbounded();

  class Subscription {
   public:
    ~Subscription();
    // The next live event; false on timeout, or when closed (see Closed).
    bool Next(v1::Event* event, absl::Duration timeout);
    // Closed by CloseAll, or dropped for falling too far behind.
    bool Closed() const;

   private:
    friend class EventLog;
    Subscription(EventLog* log, bool bounded) : log_(log), bounded_(bounded) {}

    EventLog* const log_;
    const bool bounded_;
    mutable absl::Mutex mu_;
    std::deque<v1::Event> queue_ ABSL_GUARDED_BY(mu_);
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
  };

 private:
  void Unsubscribe(Subscription* subscription);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<v1::Event> history_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Subscription*> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth

#endif  // BERTH_SERVICES_ENGINE_EVENT_LOG_H_
