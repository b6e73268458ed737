#include "gateway/http/api_version.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace berth::gateway {

int CompareApiVersions(absl::string_view a, absl::string_view b) {
  std::vector<absl::string_view> pa = absl::StrSplit(a, '.');
  std::vector<absl::string_view> pb = absl::StrSplit(b, '.');
  size_t n = std::max(pa.size(), pb.size());
  for (size_t i = 0; i < n; ++i) {
    int64_t va = 0, vb = 0;
    if (i < pa.size() && !absl::SimpleAtoi(pa[i], &va)) va = 0;
    if (i < pb.size() && !absl::SimpleAtoi(pb[i], &vb)) vb = 0;
    if (va != vb) return va < vb ? -1 : 1;
  }
  return 0;
}

bool IsApiVersionString(absl::string_view version) {
  if (version.empty() || !absl::ascii_isdigit(version.front())) return false;
  return std::all_of(version.begin(), version.end(),
                     [](char c) { return absl::ascii_isdigit(c) || c == '.'; });
}

}  // namespace berth::gateway
