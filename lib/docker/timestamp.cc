#include "lib/docker/timestamp.h"

#include <stdio.h>
#include <time.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace berth {

absl::StatusOr<int64_t> ParseDockerTimestamp(absl::string_view value) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid timestamp '", value,
                     "': want Unix seconds (with an optional fraction) or "
                     "RFC 3339"));
  };
  if (value.empty()) return invalid();
  absl::string_view seconds = value;
  absl::string_view fraction;
  size_t dot = value.find('.');
  if (dot != absl::string_view::npos) {
    seconds = value.substr(0, dot);
    fraction = value.substr(dot + 1);
  }
  int64_t whole = 0;
  bool digits_only = !fraction.empty() || dot == absl::string_view::npos;
  for (char c : fraction) digits_only &= absl::ascii_isdigit(c) != 0;
  if (digits_only && fraction.size() <= 9 &&
      absl::SimpleAtoi(seconds, &whole)) {
    std::string nanos(fraction);
    nanos.resize(9, '0');
    int64_t frac = 0;
    if (!absl::SimpleAtoi(nanos, &frac)) return invalid();
    return whole * 1000000000 + (whole < 0 ? -frac : frac);
  }
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, std::string(value), &time, &error)) {
    return absl::ToUnixNanos(time);
  }
  return invalid();
}

std::string FormatRfc3339Nano(int64_t unix_ns) {
  time_t seconds = unix_ns / 1000000000;
  int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  tm utc;
  gmtime_r(&seconds, &utc);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  if (nanos != 0) {
    n += snprintf(buf + n, sizeof(buf) - n, ".%09ld", static_cast<long>(nanos));
    while (buf[n - 1] == '0') --n;
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

}  // namespace berth
