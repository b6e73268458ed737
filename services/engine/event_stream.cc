#include "services/engine/event_stream.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/base/status_macros.h"
#include "services/engine/event_filter.h"

namespace berth {

absl::Status StreamEvents(EventLog& log, const v1::EventsRequest& request,
                          const std::function<bool(const v1::Event&)>& emit,
                          const std::function<bool()>& cancelled,
                          const std::function<void()>& started) {
  BERTH_ASSIGN_OR_RETURN(EventFilter filter,
                         EventFilter::Create(request.filters()));
  std::optional<int64_t> since;
  if (request.has_since_nano()) since = request.since_nano();
  std::optional<int64_t> until;
  if (request.has_until_nano()) until = request.until_nano();
  if (since && until && *since > *until) {
    return absl::InvalidArgumentError("since time cannot be after until time");
  }
  auto in_range = [&](const v1::Event& event) {
    return !until || event.time_nano() <= *until;
  };

  std::vector<v1::Event> replay;
  std::unique_ptr<EventLog::Subscription> subscription =
      log.Subscribe(since, &replay, until.has_value());
  if (started) started();
  for (const v1::Event& event : replay) {
    if (!in_range(event)) break;
    if (filter.Matches(event) && !emit(event)) return absl::OkStatus();
  }
  while (!cancelled() && !subscription->Closed()) {
    int64_t now = absl::GetCurrentTimeNanos();
    if (until && now > *until) break;
    absl::Duration wait = absl::Milliseconds(200);
    if (until) wait = std::min(wait, absl::Nanoseconds(*until - now + 1));
    v1::Event event;
    if (!subscription->Next(&event, wait)) continue;
    if (!in_range(event)) break;
    if (filter.Matches(event) && !emit(event)) break;
  }
  return absl::OkStatus();
}

}  // namespace berth
