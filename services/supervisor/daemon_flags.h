#ifndef BERTH_SERVICES_SUPERVISOR_DAEMON_FLAGS_H_
#define BERTH_SERVICES_SUPERVISOR_DAEMON_FLAGS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "proto/config.pb.h"

namespace berth {

// berthd's command line as given, before validation; filled by main from
// its gflags so nothing below main depends on gflags.
struct DaemonFlags {
  std::string pidfile;
  std::string data_root = "/var/lib/berth";
  std::string exec_root = "/run/berth";
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::vector<std::string> registry_mirrors;
  bool iptables = true;
  bool ip_forward = true;
  bool ip_masq = true;
  std::string ip = "0.0.0.0";
  std::string bridge;
  std::string bip;
  std::string fixed_cidr;
  bool icc = true;
  std::string storage_driver;
  std::vector<std::string> storage_opts;
  std::string exec_driver = "native";
  int mtu = 0;
  bool selinux_enabled = false;
  std::vector<std::string> hosts;
  bool tls = false;
  bool tlsverify = false;
  std::string tlscacert;
  std::string tlscert;
  std::string tlskey;
  std::string api_cors_header;
  std::string group = "docker";
  bool debug = false;
  // Flags the user gave explicitly (by their long name), so a default can
  // be told from the same value given on purpose (--tls=false, --group).
  absl::flat_hash_set<std::string> explicitly_set;
};

// Validates the flags into the config every service receives. Errors are
// InvalidArgument and name the flag: "invalid value \"x\" for flag --mtu:
// ...".
absl::StatusOr<v1::DaemonConfig> BuildDaemonConfig(const DaemonFlags& flags);

// A -H value in canonical form: unix:///path, tcp://host:port, fd://[name].
absl::StatusOr<std::string> NormalizeHost(const std::string& host,
                                          const std::string& exec_root);

}  // namespace berth

#endif  // BERTH_SERVICES_SUPERVISOR_DAEMON_FLAGS_H_
