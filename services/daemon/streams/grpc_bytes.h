#ifndef BERTH_SERVICES_DAEMON_STREAMS_GRPC_BYTES_H_
#define BERTH_SERVICES_DAEMON_STREAMS_GRPC_BYTES_H_

#include <string.h>

#include <algorithm>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"

namespace berth {

// The data messages of a client stream (an upload) as bytes. `Message`
// has a `data` bytes field; `Stream` has bool Read(Message*), as
// grpc::ServerReader and grpc::ServerReaderWriter do. The caller has
// already read the first message (the options).
template <typename Stream, typename Message>
class StreamSource : public ByteSource {
 public:
  explicit StreamSource(Stream* stream) : stream_(stream) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    while (pos_ == chunk_.size()) {
      Message message;
      if (done_ || !stream_->Read(&message)) {
        done_ = true;
        return 0;
      }
      chunk_ = std::move(*message.mutable_data());
      pos_ = 0;
    }
    size_t count = std::min(n, chunk_.size() - pos_);
    memcpy(buf, chunk_.data() + pos_, count);
    pos_ += count;
    return count;
  }

 private:
  Stream* stream_;
  std::string chunk_;
  size_t pos_ = 0;
  bool done_ = false;
};

// Bytes out as messages of about 1 MiB (gRPC's default limit is 4 MiB a
// message; many tiny writes would each cost a message). `send` returns
// false once the receiver is gone. Flush() sends what is left.
class ChunkSink : public ByteSink {
 public:
  static constexpr size_t kChunkSize = 1 << 20;

  explicit ChunkSink(std::function<bool(std::string)> send)
      : send_(std::move(send)) {}

  absl::Status Write(absl::string_view data) override;
  absl::Status Flush();

 private:
  std::function<bool(std::string)> send_;
  std::string buffer_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_STREAMS_GRPC_BYTES_H_
