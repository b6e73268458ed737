#ifndef BERTH_LIB_DOCKER_TIMESTAMP_H_
#define BERTH_LIB_DOCKER_TIMESTAMP_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// A `since`/`until` value as the docker CLI sends it: Unix seconds with an
// optional fraction ("1700000000.123456789"), or RFC 3339. In nanoseconds.
absl::StatusOr<int64_t> ParseDockerTimestamp(absl::string_view value);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_TIMESTAMP_H_
