#include "services/daemon/streams/job_bytes.h"

#include <string.h>

#include <algorithm>

namespace berth {

absl::StatusOr<size_t> JobStdinSource::Read(char* buf, size_t n) {
  while (pos_ == chunk_.size()) {
    if (!job_.Stdin().Read(&chunk_)) return 0;
    pos_ = 0;
  }
  size_t count = std::min(n, chunk_.size() - pos_);
  memcpy(buf, chunk_.data() + pos_, count);
  pos_ += count;
  return count;
}

absl::Status JobStdoutSink::Write(absl::string_view data) {
  if (job_.Cancelled()) {
    return absl::CancelledError("the job's caller went away");
  }
  job_.Stdout().Write(data);
  return absl::OkStatus();
}

}  // namespace berth
