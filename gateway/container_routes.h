#ifndef BERTH_GATEWAY_CONTAINER_ROUTES_H_
#define BERTH_GATEWAY_CONTAINER_ROUTES_H_

#include "absl/status/status.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"

namespace berth::gateway {

// /containers/..., served by the container service of whichever service
// owns the `create` job (berth-daemon). Attach hijacks the connection and
// splices it to the container's shim: container output never rides gRPC.
absl::Status AddContainerRoutes(Router& router, ServiceResolver* resolver);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_CONTAINER_ROUTES_H_
