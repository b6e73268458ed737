#ifndef BERTH_LIB_DOCKER_TIMESTAMP_H_
#define BERTH_LIB_DOCKER_TIMESTAMP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// A `since`/`until` value as the docker CLI sends it: Unix seconds with an
// optional fraction ("1700000000.123456789"), or RFC 3339. In nanoseconds.
absl::StatusOr<int64_t> ParseDockerTimestamp(absl::string_view value);

// Unix nanoseconds as Go's RFC3339Nano in UTC, the way dockerd writes
// times: "2026-11-28T07:00:00.12345Z" (trailing zeros of the fraction
// dropped, and the dot with them).
std::string FormatRfc3339Nano(int64_t unix_ns);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_TIMESTAMP_H_
