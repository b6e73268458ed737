#ifndef BERTH_LIB_RPC_CHANNELS_H_
#define BERTH_LIB_RPC_CHANNELS_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace berth {

// The gRPC target for a unix socket path.
std::string UnixTarget(const std::string& socket_path);

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);

// One channel per target, shared by every caller in the process.
class ChannelCache {
 public:
  std::shared_ptr<grpc::Channel> Get(const std::string& target);

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_
      ABSL_GUARDED_BY(mu_);
};

// Polls grpc.health.v1 Check until the server answers SERVING or `timeout`
// passes (DeadlineExceeded, with the last error).
absl::Status WaitHealthy(const std::string& target, absl::Duration timeout);

}  // namespace berth

#endif  // BERTH_LIB_RPC_CHANNELS_H_
