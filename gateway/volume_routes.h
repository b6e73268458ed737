#ifndef BERTH_GATEWAY_VOLUME_ROUTES_H_
#define BERTH_GATEWAY_VOLUME_ROUTES_H_

#include "absl/status/status.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"

namespace berth::gateway {

// /volumes/..., served by the volume service of whichever service owns the
// `volumes` job (berth-daemon).
absl::Status AddVolumeRoutes(Router& router, ServiceResolver* resolver);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_VOLUME_ROUTES_H_
