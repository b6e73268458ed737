#include "lib/rpc/channels.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "lib/rpc/status.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"

namespace berth {

std::string UnixTarget(const std::string& socket_path) {
  return absl::StrCat("unix:", socket_path);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target) {
  grpc::ChannelArguments args;
  // Local peers come back fast after a restart; do not back off for long.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

std::shared_ptr<grpc::Channel> ChannelCache::Get(const std::string& target) {
  absl::MutexLock lock(&mu_);
  auto& channel = channels_[target];
  if (channel == nullptr) channel = MakeChannel(target);
  return channel;
}

absl::Status WaitHealthy(const std::string& target, absl::Duration timeout) {
  auto stub = grpc::health::v1::Health::NewStub(MakeChannel(target));
  absl::Time deadline = absl::Now() + timeout;
  absl::Status last = absl::UnavailableError("not tried");
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(
        std::min(deadline, absl::Now() + absl::Milliseconds(500))));
    context.set_wait_for_ready(true);
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    last = status.ok() ? absl::UnavailableError("not serving yet")
                       : FromGrpcStatus(status);
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(target, " did not become healthy within ",
                   absl::FormatDuration(timeout), ": ", last.message()));
}

}  // namespace berth
