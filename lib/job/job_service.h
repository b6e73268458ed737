#ifndef BERTH_LIB_JOB_JOB_SERVICE_H_
#define BERTH_LIB_JOB_JOB_SERVICE_H_

#include "lib/job/dispatcher.h"
#include "proto/job.grpc.pb.h"

namespace berth {

// JobService over a Dispatcher: every service serves its own jobs this
// way, and the engine serves all of them (remote ones through forwarding
// handlers).
class JobServiceImpl final : public v1::JobService::Service {
 public:
  explicit JobServiceImpl(Dispatcher* dispatcher) : dispatcher_(dispatcher) {}

  grpc::Status Run(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::JobOutput, v1::JobInput>* stream) override;

 private:
  Dispatcher* dispatcher_;
};

}  // namespace berth

#endif  // BERTH_LIB_JOB_JOB_SERVICE_H_
