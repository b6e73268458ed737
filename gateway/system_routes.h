#ifndef BERTH_GATEWAY_SYSTEM_ROUTES_H_
#define BERTH_GATEWAY_SYSTEM_ROUTES_H_

#include "absl/status/status.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"

namespace berth::gateway {

// /_ping, /version, /info and /events.
absl::Status AddSystemRoutes(Router& router, ServiceResolver* resolver);

// The headers dockerd puts on every answer.
Headers DefaultHeaders();

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_SYSTEM_ROUTES_H_
