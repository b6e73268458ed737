#ifndef BERTH_SERVICES_RUNTIME_PATH_UTIL_H_
#define BERTH_SERVICES_RUNTIME_PATH_UTIL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace berth::runtime {

// Lexical cleanup as Go's filepath.Clean: no duplicate slashes, no "." and
// no ".." that can be resolved; ".." above "/" stays at "/". "" is ".".
std::string CleanPath(absl::string_view path);

// `path` joined under `dir` and cleaned; an absolute `path` is still taken
// relative to `dir`, and ".." cannot climb above it.
std::string JoinUnder(absl::string_view dir, absl::string_view path);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_PATH_UTIL_H_
