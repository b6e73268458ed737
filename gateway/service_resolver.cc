#include "gateway/service_resolver.h"

#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "lib/rpc/status.h"
#include "proto/job.grpc.pb.h"

namespace berth::gateway {

absl::StatusOr<std::shared_ptr<grpc::Channel>> ServiceResolver::ChannelFor(
    const std::string& job) {
  {
    absl::MutexLock lock(&mu_);
    auto it = targets_.find(job);
    if (it != targets_.end()) return channels_.Get(it->second);
  }
  auto registry = v1::Registry::NewStub(channels_.Get(engine_target_));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::ResolveRequest request;
  request.set_name(job);
  v1::ResolveReply reply;
  grpc::Status status = registry->Resolve(&context, request, &reply);
  if (!status.ok()) return FromGrpcStatus(status);
  absl::MutexLock lock(&mu_);
  targets_[job] = reply.address();
  return channels_.Get(reply.address());
}

void ServiceResolver::Forget(const std::string& job) {
  absl::MutexLock lock(&mu_);
  targets_.erase(job);
}

}  // namespace berth::gateway
