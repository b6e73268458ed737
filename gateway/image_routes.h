#ifndef BERTH_GATEWAY_IMAGE_ROUTES_H_
#define BERTH_GATEWAY_IMAGE_ROUTES_H_

#include "absl/status/status.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"

namespace berth::gateway {

// /images/... and /system/df, served by the image service of whichever
// service owns the `images` job (berth-daemon).
absl::Status AddImageRoutes(Router& router, ServiceResolver* resolver);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_IMAGE_ROUTES_H_
