#ifndef BERTH_GATEWAY_NETWORK_ROUTES_H_
#define BERTH_GATEWAY_NETWORK_ROUTES_H_

#include "absl/status/status.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"

namespace berth::gateway {

// /networks/..., served by the network service of whichever service owns
// the `init_networkdriver` job (berth-netd), except connect and disconnect,
// which change a container and so go to the container service.
absl::Status AddNetworkRoutes(Router& router, ServiceResolver* resolver);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_NETWORK_ROUTES_H_
