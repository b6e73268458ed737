#include "services/shim/spawn_error.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace berth::shim {
namespace {

constexpr absl::string_view kUnableToStart =
    "unable to start container process: ";

// The message of the last error-level line, or the last non-empty line.
std::string LastError(absl::string_view log) {
  std::string error;
  std::string last_line;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    nlohmann::json parsed =
        nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (!parsed.is_object()) {
      last_line = std::string(line);
      continue;
    }
    auto level = parsed.find("level");
    auto msg = parsed.find("msg");
    if (level == parsed.end() || msg == parsed.end() || !level->is_string() ||
        !msg->is_string()) {
      continue;
    }
    std::string text = msg->get<std::string>();
    if (*level == "error" || *level == "fatal") error = text;
    last_line = std::move(text);
  }
  return error.empty() ? last_line : error;
}

}  // namespace

int SpawnFailureExitCode(const absl::Status& status) {
  return absl::IsNotFound(status) ? 127 : 126;
}

std::string ExecFailureLine(const absl::Status& status) {
  return absl::StrCat("OCI runtime exec failed: exec failed: ", kUnableToStart,
                      status.message(), ": unknown\r\n");
}

absl::Status RuncErrorToStatus(absl::string_view log, absl::string_view what) {
  std::string message = LastError(log);
  if (message.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " failed without a message"));
  }
  absl::string_view rest = message;
  size_t start = rest.find(kUnableToStart);
  if (start != absl::string_view::npos) {
    rest.remove_prefix(start + kUnableToStart.size());
  }
  if (absl::StartsWith(rest, "exec: ")) {
    if (absl::StrContains(rest, "executable file not found") ||
        absl::StrContains(rest, "no such file or directory")) {
      return absl::NotFoundError(rest);
    }
    if (absl::StrContains(rest, "permission denied")) {
      return absl::PermissionDeniedError(rest);
    }
  }
  return absl::FailedPreconditionError(rest);
}

}  // namespace berth::shim
