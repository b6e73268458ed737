#ifndef BERTH_GATEWAY_HTTP_STATUS_H_
#define BERTH_GATEWAY_HTTP_STATUS_H_

#include "absl/status/status.h"
#include "gateway/http/response_writer.h"

namespace berth::gateway {

// The one table from status codes to Docker's HTTP statuses, as moby maps
// its errdefs: InvalidArgument/FailedPrecondition/OutOfRange -> 400,
// NotFound -> 404, AlreadyExists and Aborted (a conflict) -> 409,
// PermissionDenied -> 403, Unauthenticated -> 401, Unimplemented -> 501,
// Unavailable -> 503, anything else -> 500.
int HttpStatusFor(absl::StatusCode code);

// Answers a failed status in Docker's error shape.
void SendStatus(ResponseWriter& writer, const absl::Status& status);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_STATUS_H_
