#ifndef BERTH_SERVICES_SHIM_JSON_LOG_WRITER_H_
#define BERTH_SERVICES_SHIM_JSON_LOG_WRITER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace berth {

// Docker's json-file log driver: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2026-01-01T00:00:00.1Z"}
// A line longer than kMaxLineBytes is cut into pieces without the newline,
// as dockerd does, so one runaway line cannot exhaust memory. When the file
// would grow past max_size it is rotated: <path>.1 ... <path>.<max_files-1>.
class JsonLogWriter {
 public:
  static constexpr size_t kMaxLineBytes = 16 * 1024;

  struct Options {
    std::string path;
    // 0: never rotate.
    int64_t max_size = 0;
    // Files kept in all, the live one included (at least 1).
    int max_files = 1;
  };

  static absl::StatusOr<JsonLogWriter> Open(Options options);

  // Appends output of `stream` (1 stdout, 2 stderr): complete lines are
  // written at once, a trailing partial line waits for its end.
  absl::Status Write(int stream, absl::string_view data);
  // Writes out partial lines (the container has exited).
  absl::Status Flush();

 private:
  explicit JsonLogWriter(Options options) : options_(std::move(options)) {}
  absl::Status Emit(int stream, absl::string_view line);
  absl::Status Rotate();

  Options options_;
  UniqueFd fd_;
  int64_t size_ = 0;
  std::string pending_[2];
};

// Now, as dockerd writes log times (FormatRfc3339Nano).
std::string NowRfc3339Nano();

}  // namespace berth

#endif  // BERTH_SERVICES_SHIM_JSON_LOG_WRITER_H_
