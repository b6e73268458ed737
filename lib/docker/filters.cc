#include "lib/docker/filters.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace berth {

absl::Status ParseDockerFilters(
    absl::string_view json,
    google::protobuf::Map<std::string, v1::FilterValues>* out) {
  if (json.empty()) return absl::OkStatus();
  nlohmann::json filters = nlohmann::json::parse(json, nullptr, false);
  if (filters.is_discarded() || !filters.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid filters: want a JSON object, got '", json, "'"));
  }
  for (const auto& [key, values] : filters.items()) {
    v1::FilterValues& target = (*out)[key];
    if (values.is_array()) {
      for (const auto& value : values) {
        if (!value.is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "invalid filter '", key, "': values must be strings"));
        }
        target.add_values(value.get<std::string>());
      }
    } else if (values.is_object()) {
      for (const auto& [value, enabled] : values.items()) {
        if (enabled == true) target.add_values(value);
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter '", key, "': want a list or a map"));
    }
  }
  return absl::OkStatus();
}

}  // namespace berth
