#ifndef BERTH_LIB_JOB_ENV_H_
#define BERTH_LIB_JOB_ENV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace berth {

// A job's environment: KEY=VALUE entries with typed accessors. Lists and
// JSON values are stored as JSON text, so any job can be driven from a
// command line (`berth job NAME -e KEY=VALUE`).
class Env {
 public:
  Env() = default;
  explicit Env(std::vector<std::string> entries);

  const std::vector<std::string>& entries() const { return entries_; }

  bool Exists(absl::string_view key) const;
  // The value, or "" when unset.
  std::string Get(absl::string_view key) const;
  void Set(absl::string_view key, absl::string_view value);

  // Unset, "", "0", "no", "false" and "none" (any case) are false.
  bool GetBool(absl::string_view key) const;
  void SetBool(absl::string_view key, bool value);

  // `fallback` when unset; InvalidArgument when not an integer.
  absl::StatusOr<int64_t> GetInt(absl::string_view key,
                                 int64_t fallback = 0) const;
  void SetInt(absl::string_view key, int64_t value);

  // A JSON array of strings; a value that is not JSON is a one-item list.
  absl::StatusOr<std::vector<std::string>> GetList(absl::string_view key) const;
  void SetList(absl::string_view key, const std::vector<std::string>& value);

  // null when unset; InvalidArgument when the value is not JSON.
  absl::StatusOr<nlohmann::json> GetJson(absl::string_view key) const;
  void SetJson(absl::string_view key, const nlohmann::json& value);

 private:
  // Index of the entry for `key`, or -1.
  int Find(absl::string_view key) const;

  std::vector<std::string> entries_;
};

}  // namespace berth

#endif  // BERTH_LIB_JOB_ENV_H_
