#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_TEE_SOURCE_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_TEE_SOURCE_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"

namespace berth {

// Reads from `in` and writes every byte read to `copy` as well, so one
// pass over a stream both consumes it and keeps it (a layer applied while
// its blob is stored). A failed write fails the read.
class TeeSource : public ByteSource {
 public:
  TeeSource(ByteSource* in, ByteSink* copy) : in_(in), copy_(copy) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override;

  // Reads what is left of `in` (into the copy).
  absl::Status Drain();

 private:
  ByteSource* const in_;
  ByteSink* const copy_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_TEE_SOURCE_H_
