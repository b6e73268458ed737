#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_LOG_READER_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_LOG_READER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "proto/container.pb.h"

namespace berth {

struct LogSource {
  // The live json-file log; rotated ones are <path>.1 (newest) and up.
  std::string path;
  int max_files = 1;
  // Polled while following: false once the container has stopped and
  // nothing more can come.
  std::function<bool()> running;
  // Polled while following: true when the client went away.
  std::function<bool()> cancelled;
};

// Docker's `logs`: entries oldest first, filtered by stream and time,
// the last `tail` of them, then (with follow) new ones as they are
// written. `send` returns false to stop.
absl::Status ReadLogs(const LogSource& source, const v1::LogsRequest& request,
                      const std::function<bool(const v1::LogEntry&)>& send);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_LOG_READER_H_
