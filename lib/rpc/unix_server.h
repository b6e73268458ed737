#ifndef BERTH_LIB_RPC_UNIX_SERVER_H_
#define BERTH_LIB_RPC_UNIX_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "grpcpp/server.h"

namespace berth {

// A gRPC server on a unix socket only root can reach (mode 0600), with the
// standard health service. A stale socket file at `path` is replaced.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartUnixServer(
    const std::string& path, const std::vector<grpc::Service*>& services);

}  // namespace berth

#endif  // BERTH_LIB_RPC_UNIX_SERVER_H_
