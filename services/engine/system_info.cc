#include "services/engine/system_info.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/files.h"
#include "lib/version/version.h"

namespace berth {
namespace {

std::string KernelRelease() {
  utsname uts;
  return uname(&uts) == 0 ? uts.release : "unknown";
}

// Docker names architectures the Go way.
std::string GoArch() {
  utsname uts;
  if (uname(&uts) != 0) return "unknown";
  std::string machine = uts.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

std::string Hostname() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

// A KEY=value from /etc/os-release, unquoted.
std::string OsRelease(absl::string_view key) {
  absl::StatusOr<std::string> text = ReadFile("/etc/os-release");
  if (!text.ok()) return "";
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (absl::ConsumePrefix(&line, absl::StrCat(key, "="))) {
      line = absl::StripPrefix(absl::StripSuffix(line, "\""), "\"");
      return std::string(line);
    }
  }
  return "";
}

int64_t MemTotalBytes() {
  absl::StatusOr<std::string> text = ReadFile("/proc/meminfo");
  if (!text.ok()) return 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (absl::ConsumePrefix(&line, "MemTotal:")) {
      line = absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB");
      int64_t kb = 0;
      if (absl::SimpleAtoi(line, &kb)) return kb * 1024;
    }
  }
  return 0;
}

int CountEntries(const char* dir) {
  DIR* d = opendir(dir);
  if (d == nullptr) return 0;
  int n = 0;
  while (dirent* entry = readdir(d)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

bool SysctlIsOne(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() && absl::StripAsciiWhitespace(*text) == "1";
}

// Proxy variables are honoured in either case, like Go's net/http.
std::string ProxyEnv(const std::string& upper) {
  const char* value = getenv(upper.c_str());
  if (value == nullptr) value = getenv(absl::AsciiStrToLower(upper).c_str());
  return value == nullptr ? "" : value;
}

}  // namespace

absl::StatusOr<std::string> LoadOrCreateEngineId(const std::string& data_root) {
  std::string path = absl::StrCat(data_root, "/engine-id");
  absl::StatusOr<std::string> existing = ReadFile(path);
  if (existing.ok()) {
    std::string id(absl::StripAsciiWhitespace(*existing));
    if (!id.empty()) return id;
  }
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&id, absl::StrFormat("%08x", random()));
  }
  // UUID layout, like dockerd's engine ID.
  id =
      absl::StrCat(id.substr(0, 8), "-", id.substr(8, 4), "-", id.substr(12, 4),
                   "-", id.substr(16, 4), "-", id.substr(20, 12));
  absl::Status written = WriteFileAtomic(path, id, 0600);
  if (!written.ok()) return written;
  return id;
}

v1::VersionInfo CollectVersion() {
  v1::VersionInfo version;
  version.set_version(kVersion);
  version.set_api_version(kApiVersion);
  version.set_min_api_version(kMinApiVersion);
  version.set_git_commit(kGitCommit);
  version.set_compiler(absl::StrCat("g++ ", __VERSION__));
  version.set_os("linux");
  version.set_arch(GoArch());
  version.set_kernel_version(KernelRelease());
  version.set_build_time(kBuildTime);
  return version;
}

v1::SystemInfo CollectSystemInfo(const v1::DaemonConfig& config,
                                 const std::string& engine_id) {
  v1::SystemInfo info;
  info.set_id(engine_id);
  info.set_name(Hostname());
  info.set_ncpu(sysconf(_SC_NPROCESSORS_ONLN));
  info.set_mem_total(MemTotalBytes());
  info.set_kernel_version(KernelRelease());
  std::string pretty = OsRelease("PRETTY_NAME");
  info.set_operating_system(pretty.empty() ? "Linux" : pretty);
  info.set_os_version(OsRelease("VERSION_ID"));
  info.set_os_type("linux");
  info.set_architecture(GoArch() == "amd64" ? "x86_64" : GoArch());
  info.set_docker_root_dir(config.data_root());
  info.set_debug(config.debug());
  info.set_storage_driver(config.graph_driver());
  info.set_exec_driver(config.exec_driver());
  info.set_logging_driver("json-file");
  info.set_cgroup_driver("cgroupfs");
  bool v2_only = Exists("/sys/fs/cgroup/cgroup.controllers");
  info.set_cgroup_version(v2_only ? "2" : "1");
  std::string memory = v2_only ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
  info.set_memory_limit(Exists(
      memory + (v2_only ? "/cgroup.controllers" : "/memory.limit_in_bytes")));
  info.set_swap_limit(Exists(v2_only
                                 ? "/sys/fs/cgroup/cgroup.controllers"
                                 : memory + "/memory.memsw.limit_in_bytes"));
  info.set_cpu_cfs_quota(v2_only ||
                         Exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"));
  info.set_cpu_shares(v2_only || Exists("/sys/fs/cgroup/cpu/cpu.shares"));
  info.set_cpuset(v2_only || Exists("/sys/fs/cgroup/cpuset"));
  info.set_pids_limit(v2_only || Exists("/sys/fs/cgroup/pids"));
  info.set_oom_kill_disable(!v2_only && Exists(memory + "/memory.oom_control"));
  info.set_ipv4_forwarding(SysctlIsOne("/proc/sys/net/ipv4/ip_forward"));
  info.set_n_threads(CountEntries("/proc/self/task"));
  info.set_n_fd(CountEntries("/proc/self/fd"));
  info.set_server_version(kVersion);
  for (const std::string& mirror : config.registry_mirrors()) {
    info.add_registry_mirrors(mirror);
  }
  for (const std::string& dns : config.dns()) info.add_dns(dns);
  info.add_security_options("name=seccomp,profile=builtin");
  info.set_system_time(absl::FormatTime("%Y-%m-%dT%H:%M:%E*S%Ez", absl::Now(),
                                        absl::LocalTimeZone()));
  info.set_http_proxy(ProxyEnv("HTTP_PROXY"));
  info.set_https_proxy(ProxyEnv("HTTPS_PROXY"));
  info.set_no_proxy(ProxyEnv("NO_PROXY"));
  if (!info.ipv4_forwarding()) {
    info.add_warnings("WARNING: IPv4 forwarding is disabled");
  }
  return info;
}

}  // namespace berth
