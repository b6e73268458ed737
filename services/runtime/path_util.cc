#include "services/runtime/path_util.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace berth::runtime {

std::string CleanPath(absl::string_view path) {
  if (path.empty()) return ".";
  bool absolute = path[0] == '/';
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string joined = absl::StrJoin(parts, "/");
  if (absolute) return "/" + joined;
  return joined.empty() ? "." : joined;
}

std::string JoinUnder(absl::string_view dir, absl::string_view path) {
  std::string inner = CleanPath(std::string("/") + std::string(path));
  if (inner == "/") return CleanPath(dir);
  return CleanPath(std::string(dir) + inner);
}

}  // namespace berth::runtime
