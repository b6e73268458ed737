#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_BYTE_SINK_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_BYTE_SINK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace berth {

// A push stream of bytes, e.g. a layer tar going to a client or a blob.
class ByteSink {
 public:
  virtual ~ByteSink() = default;

  // Writes all of `data` or fails.
  virtual absl::Status Write(absl::string_view data) = 0;
};

// Appends to a string it owns.
class StringSink : public ByteSink {
 public:
  absl::Status Write(absl::string_view data) override;

  const std::string& data() const { return data_; }
  std::string Release() { return std::move(data_); }

 private:
  std::string data_;
};

// Writes to a file descriptor it does not own.
class FdSink : public ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}

  absl::Status Write(absl::string_view data) override;

 private:
  int fd_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_BYTE_SINK_H_
