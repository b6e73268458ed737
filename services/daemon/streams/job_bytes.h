#ifndef BERTH_SERVICES_DAEMON_STREAMS_JOB_BYTES_H_
#define BERTH_SERVICES_DAEMON_STREAMS_JOB_BYTES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/job/job.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"

namespace berth {

// A job's stdin as bytes (an image to load, a tar to import).
class JobStdinSource : public ByteSource {
 public:
  explicit JobStdinSource(Job& job) : job_(job) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override;

 private:
  Job& job_;
  std::string chunk_;
  size_t pos_ = 0;
};

// A job's stdout as bytes (a tar: export, container_copy). Fails once the
// job is cancelled, so that a tar nobody reads stops being written.
class JobStdoutSink : public ByteSink {
 public:
  explicit JobStdoutSink(Job& job) : job_(job) {}

  absl::Status Write(absl::string_view data) override;

 private:
  Job& job_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_STREAMS_JOB_BYTES_H_
