#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_BYTE_SOURCE_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_BYTE_SOURCE_H_

#include <stddef.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// A pull stream of bytes, e.g. a layer blob being downloaded or read.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Reads up to `n` bytes into `buf`. Returns how many were read; 0 means
  // the end of the stream. May return fewer than `n` before the end.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;
};

// Reads from a string it owns.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override;

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Reads from a file descriptor it does not own (a file, pipe or socket).
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override;

 private:
  int fd_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_BYTE_SOURCE_H_
