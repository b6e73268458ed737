#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_FS_UTIL_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_FS_UTIL_H_

// Small helpers shared by the layer reader and writer.

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::archive_internal {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Names in a tree may be hostile or binary: escape them for messages.
std::string Quote(absl::string_view name);

// The entries of directory `name` in `dirfd` (use "." for `dirfd` itself),
// without "." and "..", in no particular order. Does not follow a symlink.
absl::StatusOr<std::vector<std::string>> ListDir(int dirfd, const char* name);

}  // namespace berth::archive_internal

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_FS_UTIL_H_
