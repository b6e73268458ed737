#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_SIGNALS_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_SIGNALS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// A signal as `docker kill -s` and --stop-signal take it: "SIGTERM",
// "TERM", "term" or a number (1-64).
absl::StatusOr<int> ParseSignal(absl::string_view text);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_SIGNALS_H_
