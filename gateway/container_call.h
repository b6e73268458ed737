#ifndef BERTH_GATEWAY_CONTAINER_CALL_H_
#define BERTH_GATEWAY_CONTAINER_CALL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/http/hijacked_conn.h"
#include "gateway/http/request.h"
#include "gateway/http/response_writer.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"
#include "proto/container.grpc.pb.h"

namespace berth::gateway {

// The container service is whichever service owns the `create` job.
inline constexpr char kContainerOwnerJob[] = "create";

using ContainerStub = v1::ContainerService::Stub;

// One unary ContainerService call, e.g.
// ContainerCall<v1::Empty>(resolver, &ContainerStub::Pause, ref).
template <typename Reply, typename Request>
absl::StatusOr<Reply> ContainerCall(
    ServiceResolver* resolver,
    grpc::Status (ContainerStub::*method)(grpc::ClientContext*, const Request&,
                                          Reply*),
    const Request& request) {
  return CallOwner<v1::ContainerService, Reply>(
      resolver, kContainerOwnerJob,
      [&](ContainerStub& stub, grpc::ClientContext* context, Reply* out) {
        return (stub.*method)(context, request, out);
      });
}

// A route whose handler takes the resolver.
using ResolverHandler = void (*)(ServiceResolver*, Request&, ResponseWriter&);
absl::Status AddResolverRoute(Router& router, ServiceResolver* resolver,
                              const char* method, const char* path,
                              ResolverHandler handler,
                              bool stream_body = false);

// For the streaming calls.
absl::StatusOr<std::unique_ptr<ContainerStub>> NewContainerStub(
    ServiceResolver* resolver);

// An integer query parameter; `fallback` when absent.
absl::StatusOr<int32_t> QueryInt(const Request& request, const char* name,
                                 int32_t fallback);

// After a hijack: connects to a container's shim, sends `hello` (the
// request line that turns the connection into a stdio stream, see
// services/shim/shim_protocol.h) and splices the two until both sides are
// done. A shim that is already gone just ends the stream.
void SpliceToShim(HijackedConn& conn, const std::string& socket,
                  const std::string& hello);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_CONTAINER_CALL_H_
