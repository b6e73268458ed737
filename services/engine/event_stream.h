#ifndef BERTH_SERVICES_ENGINE_EVENT_STREAM_H_
#define BERTH_SERVICES_ENGINE_EVENT_STREAM_H_

#include <functional>

#include "absl/status/status.h"
#include "services/engine/event_log.h"

namespace berth {

// Streams the events `request` selects: the recorded ones from `since`,
// then live ones, until `until` passes, the log closes, `emit` returns
// false (the caller is gone) or `cancelled` returns true. Serves both the
// Events RPC and the `events` job. `started`, when given, runs once the
// request is found valid and the subscription exists, before any event.
absl::Status StreamEvents(EventLog& log, const v1::EventsRequest& request,
                          const std::function<bool(const v1::Event&)>& emit,
                          const std::function<bool()>& cancelled,
                          const std::function<void()>& started = nullptr);

}  // namespace berth

#endif  // BERTH_SERVICES_ENGINE_EVENT_STREAM_H_
