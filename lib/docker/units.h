#ifndef BERTH_LIB_DOCKER_UNITS_H_
#define BERTH_LIB_DOCKER_UNITS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// A size as docker's flags take it (go-units RAMInBytes): a number with an
// optional binary suffix, "512", "64k", "10m", "1.5g", "2GB". Negative
// values are refused.
absl::StatusOr<int64_t> ParseByteSize(absl::string_view text);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_UNITS_H_
