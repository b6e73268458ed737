#ifndef BERTH_GATEWAY_HTTP_LISTEN_ADDRESS_H_
#define BERTH_GATEWAY_HTTP_LISTEN_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::gateway {

// One -H host, split into its parts.
struct ListenAddress {
  enum class Kind { kUnix, kTcp, kFd };
  Kind kind = Kind::kUnix;
  std::string path;   // kUnix: socket file path
  std::string host;   // kTcp: name or IP literal, IPv6 without brackets
  uint16_t port = 0;  // kTcp: 0 picks a free port
  std::string fd;     // kFd: "" for all sockets, a number, or an FDNAME
};

// Accepts unix:///path, tcp://host:port (tcp://[::1]:port for IPv6) and
// fd://, fd://N, fd://NAME. Anything else is InvalidArgument naming the
// host. Defaults (a missing port, a bare path) are filled by whoever parses
// the command line, as dockerd's opts.ParseHost does, not here.
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view host);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_LISTEN_ADDRESS_H_
