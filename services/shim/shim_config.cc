#include "services/shim/shim_config.h"

#include "nlohmann/json.hpp"

namespace berth::shim {

absl::StatusOr<ShimConfig> ParseShimConfig(absl::string_view json) {
  nlohmann::json parsed =
      nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError("shim.json is not a JSON object");
  }
  ShimConfig config;
  auto str = [&](const char* key, std::string* out) {
    auto it = parsed.find(key);
    if (it != parsed.end() && it->is_string()) *out = it->get<std::string>();
  };
  auto boolean = [&](const char* key, bool* out) {
    auto it = parsed.find(key);
    if (it != parsed.end() && it->is_boolean()) *out = it->get<bool>();
  };
  auto number = [&](const char* key, auto* out) {
    auto it = parsed.find(key);
    if (it != parsed.end() && it->is_number_integer()) {
      *out = it->get<std::decay_t<decltype(*out)>>();
    }
  };
  str("id", &config.id);
  str("runtime", &config.runtime);
  str("runc_path", &config.runc_path);
  str("runc_root", &config.runc_root);
  boolean("tty", &config.tty);
  boolean("open_stdin", &config.open_stdin);
  boolean("stdin_once", &config.stdin_once);
  str("log_path", &config.log_path);
  number("log_max_size", &config.log_max_size);
  number("log_max_files", &config.log_max_files);
  number("attach_wait", &config.attach_wait);
  if (config.id.empty() || config.log_path.empty()) {
    return absl::InvalidArgumentError("shim.json lacks id or log_path");
  }
  if (config.runtime != "native" && config.runtime != "oci") {
    return absl::InvalidArgumentError("shim.json: unknown runtime " +
                                      config.runtime);
  }
  return config;
}

std::string SerializeShimConfig(const ShimConfig& config) {
  nlohmann::json out = {
      {"id", config.id},
      {"runtime", config.runtime},
      {"runc_path", config.runc_path},
      {"runc_root", config.runc_root},
      {"tty", config.tty},
      {"open_stdin", config.open_stdin},
      {"stdin_once", config.stdin_once},
      {"log_path", config.log_path},
      {"log_max_size", config.log_max_size},
      {"log_max_files", config.log_max_files},
      {"attach_wait", config.attach_wait},
  };
  return out.dump();
}

}  // namespace berth::shim
