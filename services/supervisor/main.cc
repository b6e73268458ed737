// berthd: the supervisor. Parses dockerd's flags, then runs the mainDaemon
// boot sequence (services/supervisor/daemon.h).
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "services/supervisor/daemon.h"
#include "services/supervisor/daemon_flags.h"

DEFINE_string(pidfile, "",
              "Path to use for the daemon PID file "
              "(default <exec-root>/berthd.pid)");
DEFINE_string(data_root, "/var/lib/berth",
              "Root directory of persistent state (alias --graph, -g)");
DEFINE_string(exec_root, "/run/berth",
              "Root directory for execution state "
              "files: sockets, config");
DEFINE_string(dns, "", "DNS server to use (repeatable)");
DEFINE_string(dns_search, "", "DNS search domain to use (repeatable)");
DEFINE_string(registry_mirror, "", "Preferred registry mirror (repeatable)");
DEFINE_bool(iptables, true, "Enable addition of iptables rules");
DEFINE_bool(ip_forward, true, "Enable net.ipv4.ip_forward");
DEFINE_bool(ip_masq, true, "Enable IP masquerading");
DEFINE_string(ip, "0.0.0.0", "Default IP when binding container ports");
DEFINE_string(bridge, "", "Attach containers to a network bridge (-b)");
DEFINE_string(bip, "", "Specify network bridge IP");
DEFINE_string(fixed_cidr, "", "IPv4 subnet for fixed IPs");
DEFINE_bool(icc, true, "Enable inter-container communication");
DEFINE_string(storage_driver, "",
              "Storage driver to use: overlay or vfs "
              "(-s)");
DEFINE_string(storage_opt, "", "Storage driver options (repeatable)");
DEFINE_string(exec_driver, "native",
              "Exec driver to use: native or oci "
              "(-e)");
DEFINE_int32(mtu, 0, "Set the containers network MTU");
DEFINE_bool(selinux_enabled, false, "Enable selinux support");
DEFINE_string(host, "", "Daemon socket(s) to connect to (-H, repeatable)");
DEFINE_bool(tls, false, "Use TLS; implied by --tlsverify");
DEFINE_bool(tlsverify, false, "Use TLS and verify the remote");
DEFINE_string(tlscacert, "", "Trust certs signed only by this CA");
DEFINE_string(tlscert, "", "Path to TLS certificate file");
DEFINE_string(tlskey, "", "Path to TLS key file");
DEFINE_string(api_cors_header, "", "Set CORS headers in the Engine API");
DEFINE_string(group, "docker", "Group for the unix socket (-G)");
DEFINE_bool(debug, false, "Enable debug mode (-D)");
DEFINE_string(service_dir, "",
              "Where the berth-* service binaries are "
              "(default: beside berthd)");

namespace {

constexpr char kUsage[] =
    "Usage: berthd [OPTIONS]\n\n"
    "A self-sufficient runtime for containers, compatible with the Docker "
    "Engine API.\nRun 'berthd --help' for the options.\n";

// dockerd's short and old names for its long flags.
const std::map<std::string, std::string>& Aliases() {
  static const auto* aliases = new std::map<std::string, std::string>{
      {"g", "data-root"},      {"graph", "data-root"}, {"b", "bridge"},
      {"s", "storage-driver"}, {"e", "exec-driver"},   {"G", "group"},
      {"D", "debug"},          {"H", "host"},          {"p", "pidfile"},
      {"h", "help"},
  };
  return *aliases;
}

bool Repeatable(const std::string& name) {
  return name == "host" || name == "dns" || name == "dns_search" ||
         name == "registry_mirror" || name == "storage_opt";
}

[[noreturn]] void UsageError(const std::string& message) {
  std::cerr << "berthd: " << message << "\n\n" << kUsage;
  exit(2);
}

// Parses argv the way dockerd does: --name=value, --name value, -x value,
// bare booleans, repeatable list flags. Values go through gflags, which
// checks their type; every error exits 2 naming the flag.
std::map<std::string, std::vector<std::string>> ParseArgs(
    int argc, char** argv, absl::flat_hash_set<std::string>* explicitly_set) {
  std::map<std::string, std::vector<std::string>> repeated;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      if (i + 1 < argc)
        UsageError(absl::StrCat("unexpected argument \"", argv[i + 1], "\""));
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      UsageError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto alias = Aliases().find(name);
    if (alias != Aliases().end()) name = alias->second;
    if (name == "help") {
      gflags::ShowUsageWithFlagsRestrict(argv[0], "services/supervisor");
      exit(0);
    }
    std::string gflag = absl::StrReplaceAll(name, {{"-", "_"}});
    gflags::CommandLineFlagInfo info;
    if (absl::StrContains(name, "_") ||
        !gflags::GetCommandLineFlagInfo(gflag.c_str(), &info) ||
        info.filename.find("services/supervisor") == std::string::npos) {
      UsageError(absl::StrCat("unknown flag: --", name));
    }
    if (!has_value) {
      if (info.type == "bool") {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        UsageError(absl::StrCat("flag needs an argument: --", name));
      }
    }
    explicitly_set->insert(name);
    if (Repeatable(gflag)) {
      repeated[gflag].push_back(value);
      continue;
    }
    if (gflags::SetCommandLineOption(gflag.c_str(), value.c_str()).empty()) {
      UsageError(absl::StrCat("invalid value \"", value, "\" for flag --", name,
                              ": want a ", info.type));
    }
  }
  return repeated;
}

// Takes over systemd's activation sockets (fds 3.. named by LISTEN_FDS)
// before anything else can claim those numbers, to hand them to the
// gateway.
void TakeListenFds(std::vector<int>* fds, std::vector<std::string>* names) {
  const char* pid_text = getenv("LISTEN_PID");
  const char* count_text = getenv("LISTEN_FDS");
  int pid = 0, count = 0;
  if (pid_text == nullptr || count_text == nullptr ||
      !absl::SimpleAtoi(pid_text, &pid) || pid != getpid() ||
      !absl::SimpleAtoi(count_text, &count)) {
    return;
  }
  for (int i = 0; i < count; ++i) {
    int fd = fcntl(3 + i, F_DUPFD_CLOEXEC, 64);
    if (fd >= 0) {
      close(3 + i);
      fds->push_back(fd);
    }
  }
  if (const char* fd_names = getenv("LISTEN_FDNAMES")) {
    *names = absl::StrSplit(fd_names, ':');
  }
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> listen_fds;
  std::vector<std::string> listen_fd_names;
  TakeListenFds(&listen_fds, &listen_fd_names);
  berth::Daemon::BlockSignals();
  gflags::SetUsageMessage(kUsage);

  berth::DaemonFlags flags;
  std::map<std::string, std::vector<std::string>> repeated =
      ParseArgs(argc, argv, &flags.explicitly_set);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  flags.pidfile = FLAGS_pidfile;
  flags.data_root = FLAGS_data_root;
  flags.exec_root = FLAGS_exec_root;
  flags.dns = repeated["dns"];
  flags.dns_search = repeated["dns_search"];
  flags.registry_mirrors = repeated["registry_mirror"];
  flags.iptables = FLAGS_iptables;
  flags.ip_forward = FLAGS_ip_forward;
  flags.ip_masq = FLAGS_ip_masq;
  flags.ip = FLAGS_ip;
  flags.bridge = FLAGS_bridge;
  flags.bip = FLAGS_bip;
  flags.fixed_cidr = FLAGS_fixed_cidr;
  flags.icc = FLAGS_icc;
  flags.storage_driver = FLAGS_storage_driver;
  flags.storage_opts = repeated["storage_opt"];
  flags.exec_driver = FLAGS_exec_driver;
  flags.mtu = FLAGS_mtu;
  flags.selinux_enabled = FLAGS_selinux_enabled;
  flags.hosts = repeated["host"];
  flags.tls = FLAGS_tls;
  flags.tlsverify = FLAGS_tlsverify;
  flags.tlscacert = FLAGS_tlscacert;
  flags.tlscert = FLAGS_tlscert;
  flags.tlskey = FLAGS_tlskey;
  flags.api_cors_header = FLAGS_api_cors_header;
  flags.group = FLAGS_group;
  flags.debug = FLAGS_debug || getenv("DEBUG") != nullptr;

  absl::StatusOr<berth::v1::DaemonConfig> config =
      berth::BuildDaemonConfig(flags);
  if (!config.ok()) UsageError(std::string(config.status().message()));
  if (geteuid() != 0) {
    std::cerr << "berthd: berthd needs to be started with root privileges\n";
    return 1;
  }

  berth::SupervisorOptions options;
  options.binary_dir =
      FLAGS_service_dir.empty() ? berth::SelfDir() : FLAGS_service_dir;
  options.config = *config;
  options.service_args = {"--logtostderr"};
  if (config->debug()) options.service_args.push_back("--v=1");
  if (config->debug()) FLAGS_v = 1;
  options.listen_fds = listen_fds;
  options.listen_fd_names = listen_fd_names;
  berth::Daemon daemon(*config, options);
  int code = daemon.Run();
  // Skip static teardown: gRPC's can wait seconds on its own threads.
  google::FlushLogFiles(google::GLOG_INFO);
  fflush(stdout);
  _exit(code);
}
