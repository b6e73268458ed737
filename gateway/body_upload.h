#ifndef BERTH_GATEWAY_BODY_UPLOAD_H_
#define BERTH_GATEWAY_BODY_UPLOAD_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/http/request.h"
#include "grpcpp/client_context.h"

namespace berth::gateway {

// Message size of an upload: well under gRPC's 4 MiB limit, and large
// enough that a big upload is few messages.
inline constexpr size_t kUploadChunk = 1 << 20;

// A streamed request body (a route added with stream_body) into a gRPC
// client stream: `options` first, then the body as data messages of the
// same type (Message has a `data` bytes field in a oneof with the
// options). A body that cannot be read cancels the call and is the error;
// otherwise the writes are done and the caller reads the answer with
// stream->Finish().
template <typename Message, typename Stream>
absl::Status UploadBody(Request& request, grpc::ClientContext& context,
                        Stream& stream, const Message& options) {
  stream->Write(options);
  // One message, its buffer reused: the body is read straight into it.
  Message data;
  std::string& chunk = *data.mutable_data();
  absl::Status status;
  while (status.ok()) {
    chunk.resize(kUploadChunk);
    size_t filled = 0;
    // Whole messages: the body arrives in much smaller pieces.
    while (filled < chunk.size()) {
      absl::StatusOr<size_t> n =
          request.read_body(chunk.data() + filled, chunk.size() - filled);
      if (!n.ok()) status = n.status();
      if (!n.ok() || *n == 0) break;
      filled += *n;
    }
    if (!status.ok() || filled == 0) break;
    chunk.resize(filled);
    if (filled < kUploadChunk) {
      stream->Write(data);
      break;
    }
    if (!stream->Write(data)) {
      // The service ended the call early and its status says why. Read
      // the rest of the upload anyway: a client still sending does not
      // read the answer (the docker CLI reports a broken pipe instead).
      absl::StatusOr<size_t> n;
      do {
        n = request.read_body(chunk.data(), chunk.size());
      } while (n.ok() && *n > 0);
      break;
    }
  }
  if (!status.ok()) {
    context.TryCancel();
    stream->Finish();
    return status;
  }
  stream->WritesDone();
  return absl::OkStatus();
}

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_BODY_UPLOAD_H_
