#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_RESOLV_CONF_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_RESOLV_CONF_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace berth {

// What replaces the host's settings; an empty list keeps the host's.
struct DnsSettings {
  std::vector<std::string> nameservers;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

// A container's /etc/resolv.conf, as Docker makes it: the host's, less
// the loopback nameservers a container cannot reach (Google's public
// ones when none is left, as Docker falls back to), with each of
// nameserver, search and options replaced when `dns` sets it.
std::string ContainerResolvConf(absl::string_view host_resolv_conf,
                                const DnsSettings& dns);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_RESOLV_CONF_H_
