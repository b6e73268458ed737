#ifndef BERTH_GATEWAY_EXEC_ROUTES_H_
#define BERTH_GATEWAY_EXEC_ROUTES_H_

#include "absl/status/status.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"

namespace berth::gateway {

// `docker exec`: POST /containers/{name}/exec, POST /exec/{id}/start
// (hijacked and spliced to the container's shim, which runs the process
// with the connection as its stdio), /exec/{id}/resize, /exec/{id}/json.
absl::Status AddExecRoutes(Router& router, ServiceResolver* resolver);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_EXEC_ROUTES_H_
