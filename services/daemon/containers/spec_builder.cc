#include "services/daemon/containers/spec_builder.h"

#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "services/runtime/capabilities.h"
#include "services/runtime/defaults.h"
#include "services/runtime/user.h"

namespace berth {
namespace {

constexpr int64_t kCpuPeriod = 100000;

// Docker's mounts; privileged containers get /sys and its cgroups
// writable.
std::vector<runtime::Mount> StandardMounts(bool privileged) {
  std::vector<runtime::Mount> mounts = runtime::DefaultMounts();
  if (!privileged) return mounts;
  for (runtime::Mount& mount : mounts) {
    if (mount.destination != "/sys" && mount.destination != "/sys/fs/cgroup") {
      continue;
    }
    std::replace(mount.options.begin(), mount.options.end(), std::string("ro"),
                 std::string("rw"));
  }
  return mounts;
}

absl::StatusOr<int> RlimitResource(absl::string_view name) {
  static const std::pair<const char*, int> kNames[] = {
      {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
      {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
      {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK},
  };
  for (const auto& [known, resource] : kNames) {
    if (name == known) return resource;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ulimit type: ", name));
}

bool HasEnv(const std::vector<std::string>& env, absl::string_view key) {
  for (const std::string& entry : env) {
    if (absl::StartsWith(entry, absl::StrCat(key, "="))) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<runtime::Spec> BuildSpec(const v1::ContainerDetail& container,
                                        const ContainerPaths& paths) {
  const v1::ContainerConfig& config = container.config();
  const v1::HostConfig& host = container.host_config();
  runtime::Spec spec;
  spec.rootfs = paths.rootfs;
  spec.rootfs_readonly = host.readonly_rootfs();
  spec.hostname = config.hostname();
  spec.cgroups_path = paths.cgroups_path;

  runtime::Process& process = spec.process;
  if (host.init()) {
    process.args = {"/sbin/docker-init", "--"};
  }
  process.args.push_back(container.path());
  process.args.insert(process.args.end(), container.args().begin(),
                      container.args().end());
  process.env.assign(config.env().begin(), config.env().end());
  for (const std::string& variable : paths.link_env) {
    if (!HasEnv(process.env, variable.substr(0, variable.find('=')))) {
      process.env.push_back(variable);
    }
  }
  if (!HasEnv(process.env, "PATH")) {
    process.env.insert(process.env.begin(),
                       absl::StrCat("PATH=", runtime::kDefaultPath));
  }
  if (!HasEnv(process.env, "HOSTNAME")) {
    process.env.push_back(absl::StrCat("HOSTNAME=", config.hostname()));
  }
  if (config.tty() && !HasEnv(process.env, "TERM")) {
    process.env.push_back("TERM=xterm");
  }
  process.cwd = config.working_dir().empty() ? "/" : config.working_dir();
  if (process.cwd[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("the working directory '", process.cwd,
                     "' is invalid, it needs to be "
                     "an absolute path"));
  }
  process.terminal = config.tty();
  BERTH_ASSIGN_OR_RETURN(runtime::ResolvedUser user,
                         runtime::ResolveUser(paths.rootfs, config.user()));
  process.uid = user.uid;
  process.gid = user.gid;
  process.additional_gids = user.additional_gids;
  for (const std::string& group : host.group_add()) {
    uint32_t gid;
    if (!absl::SimpleAtoi(group, &gid)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--group-add ", group, ": only numeric groups"));
    }
    process.additional_gids.push_back(gid);
  }
  if (host.oom_score_adj() != 0) process.oom_score_adj = host.oom_score_adj();

  // Security: privileged gets everything and no filters, as Docker.
  if (host.privileged()) {
    process.capabilities = runtime::AllCapabilities();
  } else {
    BERTH_ASSIGN_OR_RETURN(
        process.capabilities,
        runtime::TweakCapabilities(
            runtime::DockerDefaultCapabilities(),
            {host.cap_add().begin(), host.cap_add().end()},
            {host.cap_drop().begin(), host.cap_drop().end()}));
    process.seccomp_default = true;
    spec.masked_paths = runtime::DefaultMaskedPaths();
    spec.readonly_paths = runtime::DefaultReadonlyPaths();
  }
  for (const std::string& option : host.security_opt()) {
    std::string normalized = absl::StrReplaceAll(option, {{"=", ":"}});
    if (normalized == "no-new-privileges" ||
        normalized == "no-new-privileges:true") {
      process.no_new_privileges = true;
    } else if (normalized == "no-new-privileges:false") {
      process.no_new_privileges = false;
    } else if (normalized == "seccomp:unconfined") {
      process.seccomp_default = false;
    } else if (absl::StartsWith(normalized, "apparmor:") ||
               absl::StartsWith(normalized, "label:")) {
      // No AppArmor or SELinux on berth's hosts: accepted, as a host
      // without them does.
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --security-opt: ", option));
    }
  }
  for (const v1::Ulimit& ulimit : host.ulimits()) {
    BERTH_ASSIGN_OR_RETURN(int resource, RlimitResource(ulimit.name()));
    process.rlimits.push_back({resource, static_cast<uint64_t>(ulimit.soft()),
                               static_cast<uint64_t>(ulimit.hard())});
  }

  spec.mounts = StandardMounts(host.privileged());
  // Binds and volumes as resolved at create; a volume's source is its
  // host directory.
  for (const v1::MountPoint& point : container.mounts()) {
    runtime::Mount mount{
        point.destination(), "bind", point.source(), {"rbind", "rprivate"}};
    if (point.read_only()) mount.options.push_back("ro");
    spec.mounts.push_back(std::move(mount));
  }
  for (const v1::MountPoint& point : host.mounts()) {
    if (point.type() != "tmpfs") continue;
    runtime::Mount mount{
        point.destination(), "tmpfs", "tmpfs", {"nosuid", "nodev", "noexec"}};
    if (!point.options().empty()) mount.options.push_back(point.options());
    spec.mounts.push_back(std::move(mount));
  }
  for (const auto& [destination, options] : host.tmpfs()) {
    runtime::Mount mount{
        destination, "tmpfs", "tmpfs", {"nosuid", "nodev", "noexec"}};
    for (absl::string_view option :
         absl::StrSplit(options, ',', absl::SkipEmpty())) {
      mount.options.emplace_back(option);
    }
    spec.mounts.push_back(std::move(mount));
  }
  for (const auto& [file, destination] :
       {std::pair{paths.resolv_conf_file, "/etc/resolv.conf"},
        std::pair{paths.hostname_file, "/etc/hostname"},
        std::pair{paths.hosts_file, "/etc/hosts"}}) {
    if (file.empty()) continue;
    spec.mounts.push_back({destination, "bind", file, {"rbind", "rprivate"}});
  }
  if (host.init()) {
    spec.mounts.push_back({"/sbin/docker-init",
                           "bind",
                           paths.init_binary,
                           {"bind", "ro", "rprivate"}});
  }

  for (int flag : {CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWIPC}) {
    spec.namespaces.push_back({flag, ""});
  }
  if (!paths.netns.empty()) {
    spec.namespaces.push_back({CLONE_NEWNET, paths.netns});
  }

  runtime::Resources& resources = spec.resources;
  if (host.memory() != 0) {
    resources.memory_limit = host.memory();
    // Docker: unset swap means as much swap as memory.
    resources.memory_swap =
        host.memory_swap() == 0 ? 2 * host.memory() : host.memory_swap();
  }
  if (host.cpu_shares() != 0) resources.cpu_shares = host.cpu_shares();
  if (host.nano_cpus() != 0) {
    resources.cpu_period = kCpuPeriod;
    resources.cpu_quota = host.nano_cpus() * kCpuPeriod / 1000000000;
  } else if (host.cpu_quota() != 0) {
    resources.cpu_quota = host.cpu_quota();
    resources.cpu_period =
        host.cpu_period() != 0 ? host.cpu_period() : kCpuPeriod;
  }
  resources.cpuset_cpus = host.cpuset_cpus();
  resources.cpuset_mems = host.cpuset_mems();
  if (host.pids_limit() > 0) resources.pids_limit = host.pids_limit();
  return spec;
}

absl::StatusOr<runtime::Process> BuildExecProcess(
    const v1::ContainerDetail& container, const v1::ExecConfig& exec,
    const std::string& rootfs) {
  if (exec.cmd().empty()) {
    return absl::InvalidArgumentError("No exec command specified");
  }
  v1::ContainerDetail merged = container;
  merged.set_path(exec.cmd(0));
  merged.mutable_args()->Assign(exec.cmd().begin() + 1, exec.cmd().end());
  v1::ContainerConfig* config = merged.mutable_config();
  for (const std::string& entry : exec.env()) {
    std::string key = entry.substr(0, entry.find('=') + 1);
    auto* env = config->mutable_env();
    env->erase(std::remove_if(env->begin(), env->end(),
                              [&](const std::string& e) {
                                return absl::StartsWith(e, key);
                              }),
               env->end());
    config->add_env(entry);
  }
  if (!exec.user().empty()) config->set_user(exec.user());
  if (!exec.working_dir().empty()) config->set_working_dir(exec.working_dir());
  config->set_tty(exec.tty());
  v1::HostConfig* host = merged.mutable_host_config();
  host->set_init(false);
  host->set_privileged(host->privileged() || exec.privileged());
  ContainerPaths paths;
  paths.rootfs = rootfs;
  BERTH_ASSIGN_OR_RETURN(runtime::Spec spec, BuildSpec(merged, paths));
  return std::move(spec.process);
}

}  // namespace berth
