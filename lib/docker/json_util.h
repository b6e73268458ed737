#ifndef BERTH_LIB_DOCKER_JSON_UTIL_H_
#define BERTH_LIB_DOCKER_JSON_UTIL_H_

#include <string>

#include "nlohmann/json.hpp"

namespace berth {

// obj[key] when it is a string, else "": nlohmann's value() throws when
// the key holds null or another type, and Docker's JSON has nulls.
inline std::string JsonString(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// obj[key] when it is an object (or array, as asked), else an empty one.
inline nlohmann::json JsonObject(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nlohmann::json::object();
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : nlohmann::json::object();
}

inline nlohmann::json JsonArray(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nlohmann::json::array();
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? *it : nlohmann::json::array();
}

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_JSON_UTIL_H_
