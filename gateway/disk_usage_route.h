#ifndef BERTH_GATEWAY_DISK_USAGE_ROUTE_H_
#define BERTH_GATEWAY_DISK_USAGE_ROUTE_H_

#include "absl/status/status.h"
#include "gateway/http/router.h"
#include "gateway/service_resolver.h"

namespace berth::gateway {

// GET /system/df: the image, container and volume services' parts in
// Docker's one answer.
absl::Status AddDiskUsageRoute(Router& router, ServiceResolver* resolver);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_DISK_USAGE_ROUTE_H_
