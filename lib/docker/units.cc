#include "lib/docker/units.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace berth {

absl::StatusOr<int64_t> ParseByteSize(absl::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size: '", text, "'"));
  };
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  absl::string_view rest = lower;
  if (absl::EndsWith(rest, "ib")) rest.remove_suffix(2);
  if (absl::EndsWith(rest, "b")) rest.remove_suffix(1);
  int shift = 0;
  if (!rest.empty()) {
    switch (rest.back()) {
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      case 'g':
        shift = 30;
        break;
      case 't':
        shift = 40;
        break;
      case 'p':
        shift = 50;
        break;
      default:
        break;
    }
    if (shift != 0) rest.remove_suffix(1);
  }
  double number;
  if (rest.empty() || !absl::SimpleAtod(rest, &number) || number < 0 ||
      !std::isfinite(number)) {
    return invalid();
  }
  double bytes = number * static_cast<double>(int64_t{1} << shift);
  if (bytes > 9.2e18) return invalid();
  return static_cast<int64_t>(bytes);
}

}  // namespace berth
