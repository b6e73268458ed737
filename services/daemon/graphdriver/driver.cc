#include "services/daemon/graphdriver/driver.h"

#include "absl/strings/str_cat.h"

namespace berth {

absl::Status ValidateLayerId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("empty layer id");
  if (id.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "layer id of ", id.size(), " bytes is longer than 255 bytes"));
  }
  if (id == "." || id == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid layer id \"", id, "\""));
  }
  if (id.find_first_of(std::string("/,:\0", 4)) != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid layer id \"", id,
                     "\": ids must not contain '/', ',', ':' or NUL"));
  }
  return absl::OkStatus();
}

}  // namespace berth
