#ifndef BERTH_GATEWAY_SERVICE_RESOLVER_H_
#define BERTH_GATEWAY_SERVICE_RESOLVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "lib/rpc/channels.h"
#include "lib/rpc/status.h"

namespace berth::gateway {

// Finds the service that owns a job, through the engine, so the gateway
// calls that service's typed RPC directly. Answers are cached until a call
// to the service fails as unavailable (it may have moved or restarted).
class ServiceResolver {
 public:
  explicit ServiceResolver(std::string engine_target)
      : engine_target_(std::move(engine_target)) {}

  absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFor(
      const std::string& job);
  void Forget(const std::string& job);

 private:
  const std::string engine_target_;
  ChannelCache channels_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> targets_ ABSL_GUARDED_BY(mu_);
};

// Calls a unary RPC, through a stub of `Service`, on the service that owns
// `job`; a service found unavailable is looked up afresh next time.
// `call(stub, context, reply)` makes the call.
template <typename Service, typename Reply, typename Call>
absl::StatusOr<Reply> CallOwner(
    ServiceResolver* resolver, const std::string& job, Call call,
    std::optional<absl::Duration> timeout = std::nullopt) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      resolver->ChannelFor(job);
  if (!channel.ok()) return channel.status();
  auto stub = Service::NewStub(*channel);
  grpc::ClientContext context;
  if (timeout) context.set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
  Reply reply;
  grpc::Status status = call(*stub, &context, &reply);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    resolver->Forget(job);
  }
  if (!status.ok()) return FromGrpcStatus(status);
  return reply;
}

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_SERVICE_RESOLVER_H_
