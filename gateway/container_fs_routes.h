#ifndef BERTH_GATEWAY_CONTAINER_FS_ROUTES_H_
#define BERTH_GATEWAY_CONTAINER_FS_ROUTES_H_

#include "absl/status/status.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"

namespace berth::gateway {

// A container's filesystem: `docker diff` (GET /containers/{name}/changes),
// `docker export` (GET /containers/{name}/export), `docker cp` (HEAD, GET
// and PUT /containers/{name}/archive) and `docker commit` (POST /commit).
absl::Status AddContainerFsRoutes(Router& router, ServiceResolver* resolver);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_CONTAINER_FS_ROUTES_H_
