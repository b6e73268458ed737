#ifndef BERTH_GATEWAY_HTTP_API_VERSION_H_
#define BERTH_GATEWAY_HTTP_API_VERSION_H_

#include "absl/strings/string_view.h"

namespace berth::gateway {

// Compares dotted API versions numerically, component by component, so
// "1.9" < "1.10"; missing or non-numeric components count as 0, as in moby's
// api/types/versions. Returns <0, 0 or >0.
int CompareApiVersions(absl::string_view a, absl::string_view b);

inline bool ApiVersionLess(absl::string_view a, absl::string_view b) {
  return CompareApiVersions(a, b) < 0;
}

// True for the form dockerd's router accepts after "/v": digits and dots,
// starting with a digit.
bool IsApiVersionString(absl::string_view version);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_API_VERSION_H_
