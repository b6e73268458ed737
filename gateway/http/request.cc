#include "gateway/http/request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace berth::gateway {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Request::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

bool Request::HasHeader(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return true;
  }
  return false;
}

std::string Request::Query(absl::string_view name,
                           absl::string_view default_value) const {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) {
    return std::string(default_value);
  }
  return it->second.front();
}

bool Request::HasQuery(absl::string_view name) const {
  return query.contains(name);
}

bool Request::QueryBool(absl::string_view name) const {
  std::string value =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(Query(name)));
  return !(value.empty() || value == "0" || value == "no" || value == "false" ||
           value == "none");
}

std::string Request::Param(absl::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

bool UrlDecode(absl::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

void ParseQueryString(
    absl::string_view query,
    absl::flat_hash_map<std::string, std::vector<std::string>>* out) {
  // Go's url.ParseQuery also splits on ';' historically, but Go 1.17+ (and
  // so dockerd) rejects it; '&' alone matches what the CLI sends.
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    absl::string_view raw_key = pair;
    absl::string_view raw_value;
    if (size_t eq = pair.find('='); eq != absl::string_view::npos) {
      raw_key = pair.substr(0, eq);
      raw_value = pair.substr(eq + 1);
    }
    std::string key, value;
    if (!UrlDecode(raw_key, true, &key) ||
        !UrlDecode(raw_value, true, &value)) {
      continue;
    }
    (*out)[key].push_back(std::move(value));
  }
}

}  // namespace berth::gateway
