#include "services/shim/oci_process.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "services/runtime/oci_config.h"

namespace berth::shim {

absl::StatusOr<runtime::Process> ParseOciProcess(absl::string_view json) {
  nlohmann::json parsed =
      nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(
        "process file: not a JSON object (an OCI process, as config.json's "
        "\"process\")");
  }
  // One parser for a process, wherever it comes from: wrap it as the one
  // member of a minimal config. It was checked to be exactly one JSON
  // object, so it cannot reach outside "process".
  std::string config =
      absl::StrCat(R"({"root":{"path":"/"},"process":)", json, "}");
  absl::StatusOr<runtime::Spec> spec = runtime::ParseOciConfig(config, "/");
  if (!spec.ok()) {
    absl::string_view message = spec.status().message();
    absl::ConsumePrefix(&message, "config.json: ");
    return absl::Status(spec.status().code(),
                        absl::StrCat("process file: ", message));
  }
  return std::move(spec->process);
}

}  // namespace berth::shim
