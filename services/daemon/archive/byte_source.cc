#include "services/daemon/archive/byte_source.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include "lib/base/files.h"

namespace berth {

absl::StatusOr<size_t> StringSource::Read(char* buf, size_t n) {
  size_t count = std::min(n, data_.size() - pos_);
  memcpy(buf, data_.data() + pos_, count);
  pos_ += count;
  return count;
}

absl::StatusOr<size_t> FdSource::Read(char* buf, size_t n) {
  while (true) {
    ssize_t got = read(fd_, buf, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return ErrnoStatus(errno, "read layer stream");
  }
}

}  // namespace berth
