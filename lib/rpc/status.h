#ifndef BERTH_LIB_RPC_STATUS_H_
#define BERTH_LIB_RPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace berth {

// gRPC and Abseil share their numeric codes, so the mapping is one-to-one.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace berth

#endif  // BERTH_LIB_RPC_STATUS_H_
