#ifndef BERTH_SERVICES_RUNTIME_SPEC_H_
#define BERTH_SERVICES_RUNTIME_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

// What the native runtime needs from an OCI runtime-spec bundle: the subset
// of config.json that berth's containers use, as plain data.

struct Mount {
  std::string destination;           // absolute, inside the container
  std::string type;                  // "proc", "tmpfs", "bind", "cgroup", ...
  std::string source;                // a host path for binds, else a name
  std::vector<std::string> options;  // "ro", "nosuid", "mode=755", ...
};

struct Rlimit {
  int resource = 0;  // RLIMIT_NOFILE, ...
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// Unset fields leave the kernel's default in place.
struct Resources {
  std::optional<int64_t> memory_limit;  // bytes, -1 unlimited
  std::optional<int64_t> memory_swap;   // memory + swap in bytes, -1 unlimited
  std::optional<int64_t> cpu_shares;    // 2..262144 (v1 semantics)
  std::optional<int64_t> cpu_quota;     // microseconds per period, -1 none
  std::optional<int64_t> cpu_period;    // microseconds
  std::optional<int64_t> pids_limit;    // <= 0 unlimited
  std::string cpuset_cpus;              // "0-2,4"
  std::string cpuset_mems;

  bool empty() const {
    return !memory_limit && !memory_swap && !cpu_shares && !cpu_quota &&
           !cpu_period && !pids_limit && cpuset_cpus.empty() &&
           cpuset_mems.empty();
  }
};

struct NamespaceSpec {
  int clone_flag = 0;  // CLONE_NEWPID, CLONE_NEWNET, ...
  std::string path;    // join this existing namespace if non-empty
};

struct Process {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=value"
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  bool terminal = false;
  // The bounding set. Effective and permitted get the same set when the
  // process runs as root and stay empty otherwise, as with Docker; ambient
  // and inheritable stay empty.
  std::vector<int> capabilities;
  bool no_new_privileges = false;
  std::vector<Rlimit> rlimits;
  std::optional<int> oom_score_adj;
  bool seccomp_default = false;  // apply berth's default seccomp profile
};

struct Spec {
  Process process;
  std::string rootfs;  // absolute
  bool rootfs_readonly = false;
  std::string hostname;
  std::vector<Mount> mounts;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::vector<NamespaceSpec> namespaces;
  std::string cgroups_path;
  Resources resources;
};

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_SPEC_H_
