#include "services/daemon/archive/byte_sink.h"

#include <errno.h>
#include <unistd.h>

#include "lib/base/files.h"

namespace berth {

absl::Status StringSink::Write(absl::string_view data) {
  data_.append(data.data(), data.size());
  return absl::OkStatus();
}

absl::Status FdSink::Write(absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write layer stream");
    }
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

}  // namespace berth
