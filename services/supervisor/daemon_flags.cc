#include "services/supervisor/daemon_flags.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/files.h"

namespace berth {
namespace {

absl::Status Invalid(absl::string_view flag, absl::string_view value,
                     absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid value \"", value, "\" for flag --", flag, ": ", why));
}

bool IsIPv4(const std::string& s) {
  in_addr addr;
  return inet_pton(AF_INET, s.c_str(), &addr) == 1;
}

bool IsIP(const std::string& s) {
  in6_addr addr6;
  return IsIPv4(s) || inet_pton(AF_INET6, s.c_str(), &addr6) == 1;
}

bool IsIPv4Cidr(const std::string& s) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(s, absl::MaxSplits('/', 1));
  int bits;
  return s.find('/') != std::string::npos && IsIPv4(parts.first) &&
         absl::SimpleAtoi(parts.second, &bits) && bits >= 0 && bits <= 32;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Overlay is the default where the kernel has it, like dockerd's overlay2.
std::string DefaultStorageDriver() {
  absl::StatusOr<std::string> filesystems = ReadFile("/proc/filesystems");
  if (filesystems.ok() && absl::StrContains(*filesystems, "\toverlay\n")) {
    return "overlay";
  }
  return "vfs";
}

// dockerd's default: certificates in $DOCKER_CERT_PATH or ~/.docker.
std::string DefaultCertPath(const std::string& file) {
  const char* dir = getenv("DOCKER_CERT_PATH");
  if (dir != nullptr && dir[0] != '\0') return absl::StrCat(dir, "/", file);
  const char* home = getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "/root", "/.docker/", file);
}

}  // namespace

absl::StatusOr<std::string> NormalizeHost(const std::string& host,
                                          const std::string& exec_root) {
  std::string value = host;
  auto invalid = [&](absl::string_view why) {
    return Invalid("host", host, why);
  };
  if (value.empty()) return invalid("empty address");
  if (absl::StartsWith(value, "unix://")) {
    std::string path = value.substr(7);
    if (path.empty()) path = exec_root + "/docker.sock";
    if (path[0] != '/') return invalid("a unix socket path must be absolute");
    return "unix://" + path;
  }
  if (absl::StartsWith(value, "fd://")) return value;
  if (absl::StrContains(value, "://") && !absl::StartsWith(value, "tcp://")) {
    return invalid("the scheme must be unix://, tcp:// or fd://");
  }
  // tcp://host:port, or host:port with tcp implied as dockerd does.
  std::string rest =
      absl::StartsWith(value, "tcp://") ? value.substr(6) : value;
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    if (rest.substr(slash) != "/") return invalid("a tcp address has no path");
    rest = rest.substr(0, slash);
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return invalid("a tcp address needs a port");
  std::string hostname = rest.substr(0, colon);
  std::string port_text = rest.substr(colon + 1);
  int port;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return invalid("the port must be a number from 0 to 65535");
  }
  if (absl::StartsWith(hostname, "[") && absl::EndsWith(hostname, "]")) {
    if (!IsIP(hostname.substr(1, hostname.size() - 2))) {
      return invalid("not an IP address");
    }
  } else if (hostname.empty()) {
    hostname = "0.0.0.0";
  }
  return absl::StrCat("tcp://", hostname, ":", port);
}

absl::StatusOr<v1::DaemonConfig> BuildDaemonConfig(const DaemonFlags& flags) {
  v1::DaemonConfig config;
  if (flags.data_root.empty() || flags.data_root[0] != '/') {
    return Invalid("data-root", flags.data_root, "must be an absolute path");
  }
  if (flags.exec_root.empty() || flags.exec_root[0] != '/') {
    return Invalid("exec-root", flags.exec_root, "must be an absolute path");
  }
  config.set_data_root(flags.data_root);
  config.set_exec_root(flags.exec_root);
  config.set_pidfile(flags.pidfile.empty() ? flags.exec_root + "/berthd.pid"
                                           : flags.pidfile);

  for (const std::string& dns : flags.dns) {
    if (!IsIP(dns)) return Invalid("dns", dns, "not an IP address");
    config.add_dns(dns);
  }
  for (const std::string& search : flags.dns_search) {
    if (search.empty() || search.size() > 253 ||
        absl::StrContains(search, " ")) {
      return Invalid("dns-search", search, "not a DNS domain");
    }
    config.add_dns_search(search);
  }
  for (const std::string& mirror : flags.registry_mirrors) {
    if (!absl::StartsWith(mirror, "http://") &&
        !absl::StartsWith(mirror, "https://")) {
      return Invalid("registry-mirror", mirror,
                     "must start with http:// or https://");
    }
    config.add_registry_mirrors(mirror);
  }

  config.set_enable_iptables(flags.iptables);
  config.set_enable_ip_forward(flags.ip_forward);
  config.set_enable_ip_masq(flags.ip_masq);
  config.set_inter_container_communication(flags.icc);
  if (!flags.icc && !flags.iptables) {
    return Invalid("icc", "false",
                   "--icc=false needs iptables (drop --iptables=false)");
  }
  if (!IsIP(flags.ip)) return Invalid("ip", flags.ip, "not an IP address");
  config.set_default_ip(flags.ip);
  if (!flags.bridge.empty() && !flags.bip.empty()) {
    return Invalid("bip", flags.bip,
                   "--bip and --bridge cannot be used together");
  }
  if (flags.bridge.size() > 15) {
    return Invalid("bridge", flags.bridge,
                   "an interface name has at most 15 characters");
  }
  config.set_bridge_iface(flags.bridge);
  if (!flags.bip.empty() && !IsIPv4Cidr(flags.bip)) {
    return Invalid("bip", flags.bip,
                   "want an IPv4 address with a prefix, like 172.30.0.1/16");
  }
  config.set_bridge_ip(flags.bip);
  if (!flags.fixed_cidr.empty() && !IsIPv4Cidr(flags.fixed_cidr)) {
    return Invalid("fixed-cidr", flags.fixed_cidr,
                   "want an IPv4 CIDR, like 172.30.1.0/24");
  }
  config.set_fixed_cidr(flags.fixed_cidr);
  if (flags.mtu != 0 && (flags.mtu < 68 || flags.mtu > 65535)) {
    return Invalid("mtu", absl::StrCat(flags.mtu),
                   "must be 0 (auto) or from 68 to 65535");
  }
  config.set_mtu(flags.mtu);

  std::string driver = flags.storage_driver;
  if (driver == "overlay2") driver = "overlay";
  if (driver.empty()) driver = DefaultStorageDriver();
  if (driver != "overlay" && driver != "vfs") {
    return Invalid("storage-driver", flags.storage_driver,
                   "berth has the overlay and vfs drivers");
  }
  config.set_graph_driver(driver);
  for (const std::string& opt : flags.storage_opts) {
    if (opt.find('=') == std::string::npos) {
      return Invalid("storage-opt", opt, "want KEY=VALUE");
    }
    config.add_graph_options(opt);
  }
  if (flags.exec_driver != "native" && flags.exec_driver != "oci") {
    return Invalid("exec-driver", flags.exec_driver,
                   "berth has the native and oci exec drivers");
  }
  config.set_exec_driver(flags.exec_driver);
  config.set_enable_selinux_support(flags.selinux_enabled);

  std::vector<std::string> hosts = flags.hosts;
  if (hosts.empty()) hosts.push_back("unix://");
  for (const std::string& host : hosts) {
    absl::StatusOr<std::string> normalized =
        NormalizeHost(host, flags.exec_root);
    if (!normalized.ok()) return normalized.status();
    config.add_hosts(*normalized);
  }

  v1::TlsConfig* tls = config.mutable_tls();
  tls->set_verify(flags.tlsverify);
  tls->set_enabled(flags.tls || flags.tlsverify);
  tls->set_explicitly_disabled(flags.explicitly_set.contains("tls") &&
                               !flags.tls && !flags.tlsverify);
  if (tls->enabled()) {
    tls->set_ca_cert(flags.tlscacert.empty() ? DefaultCertPath("ca.pem")
                                             : flags.tlscacert);
    tls->set_cert(flags.tlscert.empty() ? DefaultCertPath("cert.pem")
                                        : flags.tlscert);
    tls->set_key(flags.tlskey.empty() ? DefaultCertPath("key.pem")
                                      : flags.tlskey);
    struct Need {
      const char* flag;
      std::string path;
      bool needed;
    };
    for (const Need& need :
         {Need{"tlscert", tls->cert(), true}, Need{"tlskey", tls->key(), true},
          Need{"tlscacert", tls->ca_cert(), flags.tlsverify}}) {
      if (need.needed && !FileExists(need.path)) {
        return Invalid(need.flag, need.path, "no such file");
      }
    }
  }
  config.set_api_cors_header(flags.api_cors_header);
  config.set_socket_group(flags.group);
  config.set_socket_group_explicit(flags.explicitly_set.contains("group"));
  config.set_debug(flags.debug);
  return config;
}

}  // namespace berth
