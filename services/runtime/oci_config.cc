#include "services/runtime/oci_config.h"

#include <errno.h>
#include <sys/resource.h>

#include <cstdint>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/runtime/capabilities.h"
#include "services/runtime/namespaces.h"
#include "services/runtime/path_util.h"
#include "services/runtime/seccomp_profile.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

struct RlimitName {
  int resource;
  absl::string_view name;
};

constexpr RlimitName kRlimits[] = {
    {RLIMIT_CPU, "RLIMIT_CPU"},
    {RLIMIT_FSIZE, "RLIMIT_FSIZE"},
    {RLIMIT_DATA, "RLIMIT_DATA"},
    {RLIMIT_STACK, "RLIMIT_STACK"},
    {RLIMIT_CORE, "RLIMIT_CORE"},
    {RLIMIT_RSS, "RLIMIT_RSS"},
    {RLIMIT_NPROC, "RLIMIT_NPROC"},
    {RLIMIT_NOFILE, "RLIMIT_NOFILE"},
    {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"},
    {RLIMIT_AS, "RLIMIT_AS"},
    {RLIMIT_LOCKS, "RLIMIT_LOCKS"},
    {RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
    {RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"},
    {RLIMIT_NICE, "RLIMIT_NICE"},
    {RLIMIT_RTPRIO, "RLIMIT_RTPRIO"},
    {RLIMIT_RTTIME, "RLIMIT_RTTIME"},
};

absl::Status FieldError(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("config.json: ", path, " ", what));
}

// Typed access to an optional member. A missing member or JSON null leaves
// the output untouched; the wrong type is an error naming the field.
const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status GetObject(const json& object, const char* key,
                       const std::string& path, const json** out) {
  *out = Member(object, key);
  if (*out != nullptr && !(*out)->is_object()) {
    return FieldError(path, "must be an object");
  }
  return absl::OkStatus();
}

absl::Status GetString(const json& object, const char* key,
                       const std::string& path, std::string* out) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_string()) return FieldError(path, "must be a string");
  *out = value->get<std::string>();
  return absl::OkStatus();
}

absl::Status GetBool(const json& object, const char* key,
                     const std::string& path, bool* out) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_boolean()) return FieldError(path, "must be a boolean");
  *out = value->get<bool>();
  return absl::OkStatus();
}

absl::Status GetInt64(const json& object, const char* key,
                      const std::string& path, std::optional<int64_t>* out) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_number_integer()) {
    return FieldError(path, "must be an integer");
  }
  if (value->is_number_unsigned() &&
      value->get<uint64_t>() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return FieldError(path, "is out of range");
  }
  *out = value->get<int64_t>();
  return absl::OkStatus();
}

absl::Status GetUint64(const json& object, const char* key,
                       const std::string& path, uint64_t* out) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_number_unsigned()) {
    return FieldError(path, "must be a non-negative integer");
  }
  *out = value->get<uint64_t>();
  return absl::OkStatus();
}

absl::Status GetUint32(const json& object, const char* key,
                       const std::string& path, uint32_t* out) {
  uint64_t wide = *out;
  BERTH_RETURN_IF_ERROR(GetUint64(object, key, path, &wide));
  if (wide > std::numeric_limits<uint32_t>::max()) {
    return FieldError(path, "is out of range");
  }
  *out = static_cast<uint32_t>(wide);
  return absl::OkStatus();
}

absl::Status GetStringArray(const json& object, const char* key,
                            const std::string& path,
                            std::vector<std::string>* out) {
  const json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_array()) return FieldError(path, "must be an array");
  out->clear();
  for (size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    if (!item.is_string()) {
      return FieldError(absl::StrCat(path, "[", i, "]"), "must be a string");
    }
    out->push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status GetArray(const json& object, const char* key,
                      const std::string& path, const json** out) {
  *out = Member(object, key);
  if (*out != nullptr && !(*out)->is_array()) {
    return FieldError(path, "must be an array");
  }
  return absl::OkStatus();
}

absl::Status ParseProcess(const json& process, Process* out) {
  BERTH_RETURN_IF_ERROR(
      GetBool(process, "terminal", "process.terminal", &out->terminal));
  BERTH_RETURN_IF_ERROR(
      GetStringArray(process, "args", "process.args", &out->args));
  if (out->args.empty()) {
    return FieldError("process.args", "must name the program to run");
  }
  BERTH_RETURN_IF_ERROR(
      GetStringArray(process, "env", "process.env", &out->env));
  BERTH_RETURN_IF_ERROR(GetString(process, "cwd", "process.cwd", &out->cwd));
  if (out->cwd.empty() || out->cwd[0] != '/') {
    return FieldError(
        "process.cwd",
        absl::StrCat("must be an absolute path, not \"", out->cwd, "\""));
  }

  const json* user = nullptr;
  BERTH_RETURN_IF_ERROR(GetObject(process, "user", "process.user", &user));
  if (user != nullptr) {
    BERTH_RETURN_IF_ERROR(
        GetUint32(*user, "uid", "process.user.uid", &out->uid));
    BERTH_RETURN_IF_ERROR(
        GetUint32(*user, "gid", "process.user.gid", &out->gid));
    const json* gids = nullptr;
    BERTH_RETURN_IF_ERROR(GetArray(*user, "additionalGids",
                                   "process.user.additionalGids", &gids));
    if (gids != nullptr) {
      for (size_t i = 0; i < gids->size(); ++i) {
        const json& gid = (*gids)[i];
        if (!gid.is_number_unsigned() ||
            gid.get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
          return FieldError(
              absl::StrCat("process.user.additionalGids[", i, "]"),
              "must be a gid");
        }
        out->additional_gids.push_back(gid.get<uint32_t>());
      }
    }
  }

  const json* caps = nullptr;
  BERTH_RETURN_IF_ERROR(
      GetObject(process, "capabilities", "process.capabilities", &caps));
  if (caps != nullptr) {
    std::vector<std::string> bounding;
    BERTH_RETURN_IF_ERROR(GetStringArray(
        *caps, "bounding", "process.capabilities.bounding", &bounding));
    std::set<int> set;
    for (size_t i = 0; i < bounding.size(); ++i) {
      absl::StatusOr<int> cap = ParseCapability(bounding[i]);
      if (!cap.ok()) {
        return FieldError(
            absl::StrCat("process.capabilities.bounding[", i, "]"),
            absl::StrCat("names an unknown capability \"", bounding[i], "\""));
      }
      set.insert(*cap);
    }
    out->capabilities.assign(set.begin(), set.end());
  }

  BERTH_RETURN_IF_ERROR(GetBool(process, "noNewPrivileges",
                                "process.noNewPrivileges",
                                &out->no_new_privileges));

  const json* rlimits = nullptr;
  BERTH_RETURN_IF_ERROR(
      GetArray(process, "rlimits", "process.rlimits", &rlimits));
  if (rlimits != nullptr) {
    for (size_t i = 0; i < rlimits->size(); ++i) {
      std::string path = absl::StrCat("process.rlimits[", i, "]");
      const json& item = (*rlimits)[i];
      if (!item.is_object()) return FieldError(path, "must be an object");
      std::string type;
      BERTH_RETURN_IF_ERROR(GetString(item, "type", path + ".type", &type));
      absl::StatusOr<int> resource = ParseRlimitType(type);
      if (!resource.ok()) {
        return FieldError(
            path + ".type",
            absl::StrCat("names an unknown rlimit \"", type, "\""));
      }
      Rlimit rlimit;
      rlimit.resource = *resource;
      BERTH_RETURN_IF_ERROR(
          GetUint64(item, "soft", path + ".soft", &rlimit.soft));
      BERTH_RETURN_IF_ERROR(
          GetUint64(item, "hard", path + ".hard", &rlimit.hard));
      out->rlimits.push_back(rlimit);
    }
  }

  std::optional<int64_t> oom;
  BERTH_RETURN_IF_ERROR(
      GetInt64(process, "oomScoreAdj", "process.oomScoreAdj", &oom));
  if (oom) {
    if (*oom < -1000 || *oom > 1000) {
      return FieldError(
          "process.oomScoreAdj",
          absl::StrCat("must be between -1000 and 1000, not ", *oom));
    }
    out->oom_score_adj = static_cast<int>(*oom);
  }
  return absl::OkStatus();
}

absl::Status ParseMounts(const json& config, std::vector<Mount>* out) {
  const json* mounts = nullptr;
  BERTH_RETURN_IF_ERROR(GetArray(config, "mounts", "mounts", &mounts));
  if (mounts == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < mounts->size(); ++i) {
    std::string path = absl::StrCat("mounts[", i, "]");
    const json& item = (*mounts)[i];
    if (!item.is_object()) return FieldError(path, "must be an object");
    Mount mount;
    BERTH_RETURN_IF_ERROR(GetString(item, "destination", path + ".destination",
                                    &mount.destination));
    if (mount.destination.empty() || mount.destination[0] != '/') {
      return FieldError(path + ".destination",
                        absl::StrCat("must be an absolute path, not \"",
                                     mount.destination, "\""));
    }
    BERTH_RETURN_IF_ERROR(GetString(item, "type", path + ".type", &mount.type));
    BERTH_RETURN_IF_ERROR(
        GetString(item, "source", path + ".source", &mount.source));
    BERTH_RETURN_IF_ERROR(
        GetStringArray(item, "options", path + ".options", &mount.options));
    out->push_back(std::move(mount));
  }
  return absl::OkStatus();
}

absl::Status ParseResources(const json& resources, Resources* out) {
  const json* memory = nullptr;
  BERTH_RETURN_IF_ERROR(
      GetObject(resources, "memory", "linux.resources.memory", &memory));
  if (memory != nullptr) {
    BERTH_RETURN_IF_ERROR(GetInt64(
        *memory, "limit", "linux.resources.memory.limit", &out->memory_limit));
    BERTH_RETURN_IF_ERROR(GetInt64(
        *memory, "swap", "linux.resources.memory.swap", &out->memory_swap));
  }
  const json* cpu = nullptr;
  BERTH_RETURN_IF_ERROR(
      GetObject(resources, "cpu", "linux.resources.cpu", &cpu));
  if (cpu != nullptr) {
    BERTH_RETURN_IF_ERROR(GetInt64(*cpu, "shares", "linux.resources.cpu.shares",
                                   &out->cpu_shares));
    BERTH_RETURN_IF_ERROR(
        GetInt64(*cpu, "quota", "linux.resources.cpu.quota", &out->cpu_quota));
    BERTH_RETURN_IF_ERROR(GetInt64(*cpu, "period", "linux.resources.cpu.period",
                                   &out->cpu_period));
    BERTH_RETURN_IF_ERROR(
        GetString(*cpu, "cpus", "linux.resources.cpu.cpus", &out->cpuset_cpus));
    BERTH_RETURN_IF_ERROR(
        GetString(*cpu, "mems", "linux.resources.cpu.mems", &out->cpuset_mems));
  }
  const json* pids = nullptr;
  BERTH_RETURN_IF_ERROR(
      GetObject(resources, "pids", "linux.resources.pids", &pids));
  if (pids != nullptr) {
    BERTH_RETURN_IF_ERROR(GetInt64(*pids, "limit", "linux.resources.pids.limit",
                                   &out->pids_limit));
  }
  return absl::OkStatus();
}

absl::Status ParseLinux(const json& linux, Spec* out) {
  const json* namespaces = nullptr;
  BERTH_RETURN_IF_ERROR(
      GetArray(linux, "namespaces", "linux.namespaces", &namespaces));
  if (namespaces != nullptr) {
    std::set<int> seen;
    for (size_t i = 0; i < namespaces->size(); ++i) {
      std::string path = absl::StrCat("linux.namespaces[", i, "]");
      const json& item = (*namespaces)[i];
      if (!item.is_object()) return FieldError(path, "must be an object");
      std::string type;
      BERTH_RETURN_IF_ERROR(GetString(item, "type", path + ".type", &type));
      absl::StatusOr<int> flag = NamespaceFlagFromOciType(type);
      if (!flag.ok()) {
        return FieldError(path + ".type", std::string(flag.status().message()));
      }
      if (!seen.insert(*flag).second) {
        return FieldError(path + ".type",
                          absl::StrCat("repeats namespace \"", type, "\""));
      }
      NamespaceSpec ns;
      ns.clone_flag = *flag;
      BERTH_RETURN_IF_ERROR(GetString(item, "path", path + ".path", &ns.path));
      out->namespaces.push_back(std::move(ns));
    }
  }
  BERTH_RETURN_IF_ERROR(GetStringArray(
      linux, "maskedPaths", "linux.maskedPaths", &out->masked_paths));
  BERTH_RETURN_IF_ERROR(GetStringArray(
      linux, "readonlyPaths", "linux.readonlyPaths", &out->readonly_paths));
  BERTH_RETURN_IF_ERROR(
      GetString(linux, "cgroupsPath", "linux.cgroupsPath", &out->cgroups_path));
  const json* resources = nullptr;
  BERTH_RETURN_IF_ERROR(
      GetObject(linux, "resources", "linux.resources", &resources));
  if (resources != nullptr) {
    BERTH_RETURN_IF_ERROR(ParseResources(*resources, &out->resources));
  }
  const json* seccomp = nullptr;
  BERTH_RETURN_IF_ERROR(GetObject(linux, "seccomp", "linux.seccomp", &seccomp));
  if (seccomp != nullptr) {
    std::string default_action;
    BERTH_RETURN_IF_ERROR(GetString(*seccomp, "defaultAction",
                                    "linux.seccomp.defaultAction",
                                    &default_action));
    if (default_action.empty()) {
      return FieldError("linux.seccomp.defaultAction", "is required");
    }
    out->process.seccomp_default = true;
  }
  return absl::OkStatus();
}

json SeccompProfileJson() {
  json syscalls = json::array();
  syscalls.push_back({{"names", BlockedSyscalls()},
                      {"action", "SCMP_ACT_ERRNO"},
                      {"errnoRet", EPERM}});
  syscalls.push_back({{"names", EnosysSyscalls()},
                      {"action", "SCMP_ACT_ERRNO"},
                      {"errnoRet", ENOSYS}});
  for (uint64_t flag : BlockedCloneFlags()) {
    // For SCMP_CMP_MASKED_EQ runc takes value as the mask and valueTwo as
    // the datum: arg0 & flag == flag.
    json arg = {{"index", 0},
                {"value", flag},
                {"valueTwo", flag},
                {"op", "SCMP_CMP_MASKED_EQ"}};
    syscalls.push_back({{"names", json::array({"clone"})},
                        {"action", "SCMP_ACT_ERRNO"},
                        {"errnoRet", EPERM},
                        {"args", json::array({arg})}});
  }
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", SeccompArchitectures()},
          {"syscalls", syscalls}};
}

}  // namespace

absl::StatusOr<int> ParseRlimitType(absl::string_view name) {
  for (const RlimitName& rlimit : kRlimits) {
    if (rlimit.name == name) return rlimit.resource;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown rlimit type \"", name, "\""));
}

absl::string_view RlimitTypeName(int resource) {
  for (const RlimitName& rlimit : kRlimits) {
    if (rlimit.resource == resource) return rlimit.name;
  }
  return "";
}

absl::StatusOr<Spec> ParseOciConfig(absl::string_view text,
                                    absl::string_view bundle_dir) {
  json config = json::parse(text.begin(), text.end(), nullptr,
                            /*allow_exceptions=*/false);
  if (config.is_discarded()) {
    return absl::InvalidArgumentError("config.json: not valid JSON");
  }
  if (!config.is_object()) {
    return absl::InvalidArgumentError("config.json: must be a JSON object");
  }
  Spec spec;
  std::string version;
  BERTH_RETURN_IF_ERROR(
      GetString(config, "ociVersion", "ociVersion", &version));

  const json* root = nullptr;
  BERTH_RETURN_IF_ERROR(GetObject(config, "root", "root", &root));
  if (root == nullptr) return FieldError("root", "is required");
  std::string root_path;
  BERTH_RETURN_IF_ERROR(GetString(*root, "path", "root.path", &root_path));
  if (root_path.empty()) return FieldError("root.path", "is required");
  spec.rootfs = root_path[0] == '/'
                    ? CleanPath(root_path)
                    : CleanPath(absl::StrCat(bundle_dir, "/", root_path));
  if (spec.rootfs.empty() || spec.rootfs[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "config.json: root.path \"", root_path,
        "\" is relative, so the bundle directory must be absolute, not \"",
        bundle_dir, "\""));
  }
  BERTH_RETURN_IF_ERROR(
      GetBool(*root, "readonly", "root.readonly", &spec.rootfs_readonly));

  const json* process = nullptr;
  BERTH_RETURN_IF_ERROR(GetObject(config, "process", "process", &process));
  if (process == nullptr) return FieldError("process", "is required");
  BERTH_RETURN_IF_ERROR(ParseProcess(*process, &spec.process));

  BERTH_RETURN_IF_ERROR(
      GetString(config, "hostname", "hostname", &spec.hostname));
  BERTH_RETURN_IF_ERROR(ParseMounts(config, &spec.mounts));

  const json* linux = nullptr;
  BERTH_RETURN_IF_ERROR(GetObject(config, "linux", "linux", &linux));
  if (linux != nullptr) BERTH_RETURN_IF_ERROR(ParseLinux(*linux, &spec));
  return spec;
}

std::string WriteOciConfig(const Spec& spec, absl::string_view rootfs_path) {
  const Process& p = spec.process;
  json process = {{"terminal", p.terminal},
                  {"user", {{"uid", p.uid}, {"gid", p.gid}}},
                  {"args", p.args},
                  {"env", p.env},
                  {"cwd", p.cwd}};
  if (!p.additional_gids.empty()) {
    process["user"]["additionalGids"] = p.additional_gids;
  }
  std::vector<std::string> cap_names;
  for (int cap : p.capabilities) {
    absl::string_view name = CapabilityName(cap);
    if (!name.empty()) cap_names.emplace_back(name);
  }
  // Docker's shape: a non-root user keeps the set in bounding only.
  std::vector<std::string> granted =
      p.uid == 0 ? cap_names : std::vector<std::string>();
  process["capabilities"] = {
      {"bounding", cap_names}, {"effective", granted}, {"permitted", granted}};
  if (!p.rlimits.empty()) {
    json rlimits = json::array();
    for (const Rlimit& rlimit : p.rlimits) {
      rlimits.push_back({{"type", std::string(RlimitTypeName(rlimit.resource))},
                         {"hard", rlimit.hard},
                         {"soft", rlimit.soft}});
    }
    process["rlimits"] = rlimits;
  }
  process["noNewPrivileges"] = p.no_new_privileges;
  if (p.oom_score_adj) process["oomScoreAdj"] = *p.oom_score_adj;

  json config = {{"ociVersion", "1.0.2"},
                 {"process", process},
                 {"root",
                  {{"path", std::string(rootfs_path)},
                   {"readonly", spec.rootfs_readonly}}}};
  if (!spec.hostname.empty()) config["hostname"] = spec.hostname;
  json mounts = json::array();
  for (const Mount& mount : spec.mounts) {
    json item = {{"destination", mount.destination}, {"type", mount.type}};
    if (!mount.source.empty()) item["source"] = mount.source;
    if (!mount.options.empty()) item["options"] = mount.options;
    mounts.push_back(item);
  }
  config["mounts"] = mounts;

  json linux = json::object();
  json namespaces = json::array();
  for (const NamespaceSpec& ns : spec.namespaces) {
    json item = {{"type", std::string(OciNamespaceType(ns.clone_flag))}};
    if (!ns.path.empty()) item["path"] = ns.path;
    namespaces.push_back(item);
  }
  linux["namespaces"] = namespaces;
  if (!spec.masked_paths.empty()) linux["maskedPaths"] = spec.masked_paths;
  if (!spec.readonly_paths.empty()) {
    linux["readonlyPaths"] = spec.readonly_paths;
  }
  if (!spec.cgroups_path.empty()) linux["cgroupsPath"] = spec.cgroups_path;

  const Resources& r = spec.resources;
  json resources = json::object();
  if (r.memory_limit || r.memory_swap) {
    json memory = json::object();
    if (r.memory_limit) memory["limit"] = *r.memory_limit;
    if (r.memory_swap) memory["swap"] = *r.memory_swap;
    resources["memory"] = memory;
  }
  if (r.cpu_shares || r.cpu_quota || r.cpu_period || !r.cpuset_cpus.empty() ||
      !r.cpuset_mems.empty()) {
    json cpu = json::object();
    if (r.cpu_shares) cpu["shares"] = *r.cpu_shares;
    if (r.cpu_quota) cpu["quota"] = *r.cpu_quota;
    if (r.cpu_period) cpu["period"] = *r.cpu_period;
    if (!r.cpuset_cpus.empty()) cpu["cpus"] = r.cpuset_cpus;
    if (!r.cpuset_mems.empty()) cpu["mems"] = r.cpuset_mems;
    resources["cpu"] = cpu;
  }
  if (r.pids_limit) resources["pids"] = {{"limit", *r.pids_limit}};
  if (!resources.empty()) linux["resources"] = resources;
  if (p.seccomp_default) linux["seccomp"] = SeccompProfileJson();
  config["linux"] = linux;
  return config.dump(2);
}

}  // namespace berth::runtime
