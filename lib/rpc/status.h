#ifndef BERTH_LIB_RPC_STATUS_H_
#define BERTH_LIB_RPC_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/support/status.h"

namespace berth {

// gRPC and Abseil share their numeric codes, so the mapping is one-to-one.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// A service method's answer: `result` into `*reply`, or its error.
template <typename Reply>
grpc::Status AnswerWith(absl::StatusOr<Reply> result, Reply* reply) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *reply = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace berth

#endif  // BERTH_LIB_RPC_STATUS_H_
