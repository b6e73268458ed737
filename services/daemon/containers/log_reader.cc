#include "services/daemon/containers/log_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/unique_fd.h"
#include "lib/docker/json_util.h"
#include "lib/docker/timestamp.h"
#include "nlohmann/json.hpp"

namespace berth {
namespace {

constexpr auto kFollowPoll = std::chrono::milliseconds(50);

class Filter {
 public:
  explicit Filter(const v1::LogsRequest& request) : request_(request) {}

  // The entry for one json-file line, or nothing when it is filtered out
  // (or unreadable: a torn last line of a crashed writer).
  std::optional<v1::LogEntry> Parse(absl::string_view line) {
    nlohmann::json record =
        nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (!record.is_object()) return std::nullopt;
    std::string stream = JsonString(record, "stream");
    if ((stream == "stdout" && !request_.stdout()) ||
        (stream == "stderr" && !request_.stderr())) {
      return std::nullopt;
    }
    std::string time = JsonString(record, "time");
    if (request_.since_ns() != 0 || request_.until_ns() != 0) {
      absl::StatusOr<int64_t> ns = ParseDockerTimestamp(time);
      if (!ns.ok()) return std::nullopt;
      if (request_.since_ns() != 0 && *ns < request_.since_ns()) {
        return std::nullopt;
      }
      if (request_.until_ns() != 0 && *ns > request_.until_ns()) {
        past_until_ = true;
        return std::nullopt;
      }
    }
    v1::LogEntry entry;
    entry.set_stream(stream == "stderr" ? 2 : 1);
    entry.set_data(JsonString(record, "log"));
    if (request_.timestamps()) entry.set_timestamp(time);
    return entry;
  }

  bool past_until() const { return past_until_; }

 private:
  const v1::LogsRequest& request_;
  bool past_until_ = false;
};

// Calls `line` for each complete line of `data`, keeping a partial last
// line in `partial` for the next read.
template <typename F>
void SplitLines(std::string* partial, absl::string_view data, F line) {
  partial->append(data.data(), data.size());
  size_t start = 0;
  for (size_t newline;
       (newline = partial->find('\n', start)) != std::string::npos;
       start = newline + 1) {
    line(absl::string_view(*partial).substr(start, newline - start));
  }
  partial->erase(0, start);
}

}  // namespace

absl::Status ReadLogs(const LogSource& source, const v1::LogsRequest& request,
                      const std::function<bool(const v1::LogEntry&)>& send) {
  Filter filter(request);
  std::deque<v1::LogEntry> tail;
  // Until the existing entries are read, --tail keeps the last ones back.
  bool collect_tail = request.tail() >= 0;
  bool stopped = false;
  auto emit = [&](absl::string_view line) {
    if (stopped) return;
    std::optional<v1::LogEntry> entry = filter.Parse(line);
    if (!entry) return;
    if (collect_tail) {
      tail.push_back(*std::move(entry));
      if (static_cast<int64_t>(tail.size()) > request.tail()) tail.pop_front();
    } else if (!send(*entry)) {
      stopped = true;
    }
  };
  for (int i = source.max_files - 1; i >= 1; --i) {
    absl::StatusOr<std::string> rotated =
        ReadFile(absl::StrCat(source.path, ".", i));
    if (!rotated.ok()) continue;
    std::string partial;
    SplitLines(&partial, *rotated, emit);
  }
  UniqueFd live(open(source.path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string partial;
  char buf[64 * 1024];
  auto drain = [&]() -> bool {
    bool any = false;
    while (live.valid()) {
      ssize_t n = read(live.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      any = true;
      SplitLines(&partial, absl::string_view(buf, n), emit);
    }
    return any;
  };
  drain();
  for (const v1::LogEntry& entry : tail) {
    if (!send(entry)) return absl::OkStatus();
  }
  tail.clear();
  if (!request.follow() || stopped) return absl::OkStatus();
  collect_tail = false;
  while (!stopped && !filter.past_until() && !source.cancelled()) {
    bool running = source.running();
    bool any = drain();
    struct stat now, held;
    if (stat(source.path.c_str(), &now) == 0 &&
        (!live.valid() ||
         (fstat(live.get(), &held) == 0 && (now.st_ino != held.st_ino)))) {
      // Rotated: finish the old file, then read the new one from its start.
      drain();
      live.reset(open(source.path.c_str(), O_RDONLY | O_CLOEXEC));
      partial.clear();
      continue;
    }
    if (!running && !any) break;
    if (!any) std::this_thread::sleep_for(kFollowPoll);
  }
  return absl::OkStatus();
}

}  // namespace berth
