#include "gateway/http/listen_address.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace berth::gateway {
namespace {

absl::Status Malformed(absl::string_view host, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid listen address \"", host, "\": ", why));
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view host) {
  ListenAddress out;
  absl::string_view rest = host;
  if (absl::ConsumePrefix(&rest, "unix://")) {
    if (rest.empty()) return Malformed(host, "missing socket path");
    out.kind = ListenAddress::Kind::kUnix;
    out.path = std::string(rest);
    return out;
  }
  if (absl::ConsumePrefix(&rest, "fd://")) {
    if (absl::StrContains(rest, "/")) {
      return Malformed(host, "an fd name must not contain '/'");
    }
    out.kind = ListenAddress::Kind::kFd;
    out.fd = std::string(rest);
    return out;
  }
  if (!absl::ConsumePrefix(&rest, "tcp://")) {
    return Malformed(host, "expected unix://, tcp:// or fd://");
  }
  out.kind = ListenAddress::Kind::kTcp;
  absl::string_view name;
  absl::string_view port;
  if (absl::StartsWith(rest, "[")) {
    size_t close = rest.find(']');
    if (close == absl::string_view::npos) {
      return Malformed(host, "unterminated '[' in IPv6 address");
    }
    name = rest.substr(1, close - 1);
    absl::string_view after = rest.substr(close + 1);
    if (!absl::ConsumePrefix(&after, ":")) {
      return Malformed(host, "missing port");
    }
    port = after;
  } else {
    size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos) {
      return Malformed(host, "missing port");
    }
    name = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (absl::StrContains(name, ":")) {
      return Malformed(host, "IPv6 addresses must be in brackets");
    }
  }
  if (name.empty()) return Malformed(host, "missing host name");
  if (absl::StrContains(port, "/")) {
    return Malformed(host, "a tcp address must not have a path");
  }
  uint32_t port_number = 0;
  if (port.empty() || !absl::SimpleAtoi(port, &port_number) ||
      port_number > 65535) {
    return Malformed(host, absl::StrCat("invalid port \"", port, "\""));
  }
  out.host = std::string(name);
  out.port = static_cast<uint16_t>(port_number);
  return out;
}

}  // namespace berth::gateway
