#include "services/daemon/streams/grpc_bytes.h"

namespace berth {

absl::Status ChunkSink::Write(absl::string_view data) {
  buffer_.append(data.data(), data.size());
  return buffer_.size() >= kChunkSize ? Flush() : absl::OkStatus();
}

absl::Status ChunkSink::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  bool sent = send_(std::move(buffer_));
  buffer_.clear();
  return sent ? absl::OkStatus()
              : absl::CancelledError("the receiver went away");
}

}  // namespace berth
