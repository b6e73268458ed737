#ifndef BERTH_GATEWAY_SERVICE_RESOLVER_H_
#define BERTH_GATEWAY_SERVICE_RESOLVER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/channel.h"
#include "lib/rpc/channels.h"

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

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_SERVICE_RESOLVER_H_
