#include "services/netd/ports/port_mapping.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"

namespace berth::netd {
namespace {

absl::StatusOr<int> ParsePort(absl::string_view text, absl::string_view spec,
                              bool allow_empty) {
  if (text.empty() && allow_empty) return 0;
  int port = 0;
  if (text.empty() || text.size() > 5 || !absl::ascii_isdigit(text[0]) ||
      !absl::SimpleAtoi(text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port \"", text, "\" in \"", spec, "\""));
  }
  return port;
}

}  // namespace

absl::StatusOr<Protocol> ParseProtocol(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower.empty() || lower == "tcp") return Protocol::kTcp;
  if (lower == "udp") return Protocol::kUdp;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid protocol \"", text, "\": use tcp or udp"));
}

absl::string_view ProtocolName(Protocol protocol) {
  return protocol == Protocol::kUdp ? "udp" : "tcp";
}

std::string PortMapping::ToString() const {
  return absl::StrCat(host_ip.ToString(), ":", host_port, "->",
                      container_ip.ToString(), ":", container_port, "/",
                      ProtocolName(protocol));
}

absl::StatusOr<PortSpec> ParsePortSpec(absl::string_view text) {
  PortSpec spec;
  absl::string_view rest = text;
  size_t slash = rest.rfind('/');
  if (slash != absl::string_view::npos) {
    BERTH_ASSIGN_OR_RETURN(spec.protocol,
                           ParseProtocol(rest.substr(slash + 1)));
    rest = rest.substr(0, slash);
  }
  std::vector<absl::string_view> parts = absl::StrSplit(rest, ':');
  switch (parts.size()) {
    case 1:
      break;
    case 2: {
      BERTH_ASSIGN_OR_RETURN(spec.host_port, ParsePort(parts[0], text, true));
      break;
    }
    case 3: {
      if (!parts[0].empty()) {
        absl::StatusOr<Ipv4> ip = Ipv4::Parse(parts[0]);
        if (!ip.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "invalid IP address \"", parts[0], "\" in \"", text, "\""));
        }
        spec.host_ip = *ip;
        spec.host_ip_given = true;
      }
      BERTH_ASSIGN_OR_RETURN(spec.host_port, ParsePort(parts[1], text, true));
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("invalid port specification \"", text,
                       "\": use [ip:][host_port:]container_port[/tcp|udp]"));
  }
  BERTH_ASSIGN_OR_RETURN(spec.container_port,
                         ParsePort(parts.back(), text, false));
  return spec;
}

absl::Status CheckPort(int port, absl::string_view what, bool allow_zero) {
  if ((port == 0 && allow_zero) || (port >= 1 && port <= 65535)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", what, " ", port, ": use 1-65535"));
}

}  // namespace berth::netd
