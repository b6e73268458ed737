#ifndef BERTH_LIB_JOB_JOB_CLIENT_H_
#define BERTH_LIB_JOB_JOB_CLIENT_H_

#include <memory>

#include "absl/status/status.h"
#include "grpcpp/channel.h"
#include "lib/job/handler_registry.h"
#include "lib/job/job.h"
#include "proto/job.pb.h"

namespace berth {

// Runs a job on the JobService behind `channel`, streaming `in` (when
// spec.attach_stdin) and the job's output; returns the job's status. The
// call is cancelled once `cancelled` (when given) returns true.
absl::Status RunRemoteJob(const std::shared_ptr<grpc::Channel>& channel,
                          const v1::JobSpec& spec, InputStream* in,
                          OutputStream* out, OutputStream* err,
                          std::function<bool()> cancelled = nullptr);

// A handler that forwards its job to the JobService behind `channel`; the
// engine routes jobs of other services through these.
Handler MakeForwardingHandler(std::shared_ptr<grpc::Channel> channel);

}  // namespace berth

#endif  // BERTH_LIB_JOB_JOB_CLIENT_H_
