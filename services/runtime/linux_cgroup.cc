#include "services/runtime/linux_cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/runtime/cgroup_resources.h"

namespace berth::runtime {
namespace {

// How long Freeze, Thaw and Destroy wait for the kernel to settle.
constexpr absl::Duration kSettleTimeout = absl::Seconds(10);

// v1 reports "no limit" as PAGE_COUNTER_MAX pages, rounded to the page.
constexpr uint64_t kV1Unlimited = 0x7FFFFFFFFFFFF000ULL;

// Polls `done` with a growing pause until it holds or kSettleTimeout
// passes; `done` errors end the wait at once.
template <typename F>
absl::StatusOr<bool> PollUntil(F done) {
  absl::Time deadline = absl::Now() + kSettleTimeout;
  absl::Duration pause = absl::Milliseconds(1);
  while (true) {
    absl::StatusOr<bool> ok = done();
    if (!ok.ok() || *ok) return ok;
    if (absl::Now() > deadline) return false;
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(50));
  }
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

absl::Status WriteCgroupFile(const std::string& dir, absl::string_view file,
                             absl::string_view value) {
  std::string path = absl::StrCat(dir, "/", file);
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot set ", file, " to ", value, ": ", path,
          " does not exist (is the ", file.substr(0, file.find('.')),
          " controller available?)"));
    }
    return ErrnoStatus(err, absl::StrCat("open ", path));
  }
  ssize_t n = write(fd, value.data(), value.size());
  int err = errno;
  close(fd);
  if (n == static_cast<ssize_t>(value.size())) return absl::OkStatus();
  if (n >= 0) err = EIO;
  switch (err) {
    case EINVAL:
    case ERANGE:
    case EOVERFLOW:
    case EBUSY:
      // EBUSY: e.g. a memory limit below what the cgroup already uses.
      return absl::InvalidArgumentError(
          absl::StrCat("the kernel refused ", file, " = \"", value, "\" (",
                       path, "): ", strerror(err)));
    default:
      return ErrnoStatus(err, absl::StrCat("write \"", value, "\" to ", path));
  }
}

absl::StatusOr<std::string> ReadCgroupFile(const std::string& dir,
                                           absl::string_view file) {
  return ReadFile(absl::StrCat(dir, "/", file));
}

// A single number, or "max" as the largest one.
absl::StatusOr<uint64_t> ReadUint(const std::string& dir,
                                  absl::string_view file) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadCgroupFile(dir, file));
  absl::string_view value = absl::StripAsciiWhitespace(text);
  if (value == "max") return std::numeric_limits<uint64_t>::max();
  uint64_t out = 0;
  if (!absl::SimpleAtoi(value, &out)) {
    return absl::InternalError(
        absl::StrCat(dir, "/", file, ": not a number: \"", value, "\""));
  }
  return out;
}

// The value of `key` in a "key value" per line file; NotFound if absent.
absl::StatusOr<uint64_t> ReadKeyed(const std::string& dir,
                                   absl::string_view file,
                                   absl::string_view key) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadCgroupFile(dir, file));
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    uint64_t value = 0;
    if (kv.first == key &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(kv.second), &value)) {
      return value;
    }
  }
  return absl::NotFoundError(
      absl::StrCat(dir, "/", file, " has no \"", key, "\" line"));
}

// The processes in `dir` and in the cgroups the container made below it.
void ReadProcs(const std::string& dir, std::set<pid_t>* pids) {
  absl::StatusOr<std::string> text = ReadCgroupFile(dir, "cgroup.procs");
  if (!text.ok()) return;
  for (absl::string_view line :
       absl::StrSplit(*text, '\n', absl::SkipWhitespace())) {
    pid_t pid = 0;
    if (absl::SimpleAtoi(line, &pid)) pids->insert(pid);
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> children;
  while (dirent* entry = readdir(d)) {
    absl::string_view name = entry->d_name;
    if (entry->d_type == DT_DIR && name != "." && name != "..") {
      children.push_back(absl::StrCat(dir, "/", name));
    }
  }
  closedir(d);
  for (const std::string& child : children) ReadProcs(child, pids);
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

// rmdir `dir` after every cgroup below it, deepest first. ENOENT is fine.
absl::Status RemoveCgroupTree(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    std::vector<std::string> children;
    while (dirent* entry = readdir(d)) {
      if (entry->d_type != DT_DIR) continue;
      absl::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      children.push_back(absl::StrCat(dir, "/", name));
    }
    closedir(d);
    for (const std::string& child : children) {
      BERTH_RETURN_IF_ERROR(RemoveCgroupTree(child));
    }
  }
  int last_err = 0;
  absl::StatusOr<bool> removed = PollUntil([&]() -> absl::StatusOr<bool> {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
    last_err = errno;
    // EBUSY while the last tasks finish exiting; anything else is final.
    if (last_err != EBUSY) return ErrnoStatus(last_err, "rmdir " + dir);
    return false;
  });
  if (!removed.ok()) return removed.status();
  if (!*removed) {
    return absl::DeadlineExceededError(
        absl::StrCat("cannot remove cgroup ", dir, ": ", strerror(last_err)));
  }
  return absl::OkStatus();
}

// The CPUs or memory nodes a child cgroup of `parent` may use.
absl::StatusOr<std::string> AvailableCpuset(const std::string& parent,
                                            absl::string_view which,
                                            bool unified) {
  std::string file =
      absl::StrCat("cpuset.", which, unified ? ".effective" : "");
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadCgroupFile(parent, file));
  return std::string(absl::StripAsciiWhitespace(text));
}

absl::Status CheckCpusetSubset(absl::string_view requested,
                               absl::string_view available,
                               absl::string_view what) {
  BERTH_ASSIGN_OR_RETURN(std::set<int> want, ParseCpuList(requested));
  BERTH_ASSIGN_OR_RETURN(std::set<int> have, ParseCpuList(available));
  if (!std::includes(have.begin(), have.end(), want.begin(), want.end())) {
    // Docker's wording.
    return absl::InvalidArgumentError(
        absl::StrCat("Requested ", what, " are not available - requested ",
                     requested, ", available: ", available));
  }
  return absl::OkStatus();
}

// v1 cpuset cgroups start with empty cpus and mems, in which nothing can
// run: inherit the parent's.
absl::Status InheritCpuset(const std::string& dir) {
  for (absl::string_view which : {"cpuset.cpus", "cpuset.mems"}) {
    BERTH_ASSIGN_OR_RETURN(std::string mine, ReadCgroupFile(dir, which));
    if (!absl::StripAsciiWhitespace(mine).empty()) continue;
    BERTH_ASSIGN_OR_RETURN(std::string parent,
                           ReadCgroupFile(Parent(dir), which));
    BERTH_RETURN_IF_ERROR(
        WriteCgroupFile(dir, which, absl::StripAsciiWhitespace(parent)));
  }
  return absl::OkStatus();
}

// v2: controllers reach a cgroup only when every ancestor enabled them in
// cgroup.subtree_control.
void EnableControllers(const std::string& parent) {
  absl::StatusOr<std::string> available =
      ReadCgroupFile(parent, "cgroup.controllers");
  absl::StatusOr<std::string> enabled =
      ReadCgroupFile(parent, "cgroup.subtree_control");
  if (!available.ok() || !enabled.ok()) return;
  std::vector<absl::string_view> on =
      absl::StrSplit(*enabled, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  for (absl::string_view controller :
       absl::StrSplit(*available, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (std::find(on.begin(), on.end(), controller) != on.end()) continue;
    // One at a time: a controller the kernel refuses here (say, cpu with
    // realtime tasks around) must not keep the others off. A limit that
    // needs it fails later, naming its file.
    WriteCgroupFile(parent, "cgroup.subtree_control",
                    absl::StrCat("+", controller))
        .IgnoreError();
  }
}

absl::StatusOr<std::vector<LinuxCgroup::Dir>> DirsFor(
    const CgroupLayout& layout, const std::string& cgroups_path) {
  std::vector<LinuxCgroup::Dir> dirs;
  for (const CgroupHierarchy& hierarchy : layout.hierarchies) {
    BERTH_ASSIGN_OR_RETURN(std::string path,
                           CgroupDir(hierarchy, cgroups_path));
    if (path == hierarchy.mount_point) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cgroups path \"", cgroups_path,
          "\" is the root of a hierarchy; a container needs its own cgroup"));
    }
    dirs.push_back({hierarchy.controllers, path});
  }
  return dirs;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup>> LinuxCgroup::Create(
    const std::string& cgroups_path, const Resources& resources) {
  BERTH_ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<LinuxCgroup> cgroup,
                         CreateWithLayout(layout, cgroups_path, resources));
  return std::unique_ptr<Cgroup>(std::move(cgroup));
}

absl::StatusOr<std::unique_ptr<Cgroup>> LinuxCgroup::Open(
    const std::string& cgroups_path) {
  BERTH_ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<LinuxCgroup> cgroup,
                         OpenWithLayout(layout, cgroups_path));
  return std::unique_ptr<Cgroup>(std::move(cgroup));
}

absl::StatusOr<std::unique_ptr<LinuxCgroup>> LinuxCgroup::CreateWithLayout(
    const CgroupLayout& layout, const std::string& cgroups_path,
    const Resources& resources) {
  BERTH_RETURN_IF_ERROR(ValidateResources(resources));
  BERTH_ASSIGN_OR_RETURN(std::vector<Dir> dirs, DirsFor(layout, cgroups_path));
  std::unique_ptr<LinuxCgroup> cgroup(
      new LinuxCgroup(cgroups_path, layout.unified, std::move(dirs)));
  std::vector<std::string> created;
  absl::Status status = cgroup->MakeDirs(layout, &created);
  if (status.ok()) status = cgroup->ApplyResources(resources);
  if (!status.ok()) {
    // Deepest first, so parents we made empty out too.
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      rmdir(it->c_str());
    }
    return status;
  }
  return cgroup;
}

absl::StatusOr<std::unique_ptr<LinuxCgroup>> LinuxCgroup::OpenWithLayout(
    const CgroupLayout& layout, const std::string& cgroups_path) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Dir> dirs, DirsFor(layout, cgroups_path));
  bool any = std::any_of(dirs.begin(), dirs.end(),
                         [](const Dir& dir) { return Exists(dir.path); });
  if (!any) {
    return absl::NotFoundError(
        absl::StrCat("cgroup ", cgroups_path, " does not exist"));
  }
  return std::unique_ptr<LinuxCgroup>(
      new LinuxCgroup(cgroups_path, layout.unified, std::move(dirs)));
}

std::string LinuxCgroup::DirFor(absl::string_view controller) const {
  if (unified_) return dirs_.empty() ? "" : dirs_[0].path;
  for (const Dir& dir : dirs_) {
    if (std::find(dir.controllers.begin(), dir.controllers.end(), controller) !=
        dir.controllers.end()) {
      return dir.path;
    }
  }
  return "";
}

absl::Status LinuxCgroup::MakeDirs(const CgroupLayout& layout,
                                   std::vector<std::string>* created) {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    const CgroupHierarchy& hierarchy = layout.hierarchies[i];
    const std::string& leaf = dirs_[i].path;
    bool cpuset = !unified_ && hierarchy.Has("cpuset");
    // Each level below the mount point, top down.
    std::string level = hierarchy.mount_point;
    for (absl::string_view part :
         absl::StrSplit(absl::string_view(leaf).substr(level.size()), '/',
                        absl::SkipEmpty())) {
      std::string parent = level;
      absl::StrAppend(&level, "/", part);
      if (unified_) EnableControllers(parent);
      bool made = mkdir(level.c_str(), 0755) == 0;
      if (!made && errno != EEXIST) {
        return ErrnoStatus(errno, absl::StrCat("create cgroup ", level));
      }
      if (made) created->push_back(level);
      if (cpuset) BERTH_RETURN_IF_ERROR(InheritCpuset(level));
    }
  }
  return absl::OkStatus();
}

absl::Status LinuxCgroup::ApplyResources(const Resources& resources) {
  // v1 device access: deny all, then runc's defaults. (On v2 this takes a
  // BPF program, which berth does not load yet.)
  if (std::string devices = unified_ ? "" : DirFor("devices");
      !devices.empty()) {
    BERTH_RETURN_IF_ERROR(WriteCgroupFile(devices, "devices.deny", "a"));
    for (const std::string& rule : V1DefaultDeviceRules()) {
      BERTH_RETURN_IF_ERROR(WriteCgroupFile(devices, "devices.allow", rule));
    }
  }
  std::vector<CgroupWrite> writes =
      unified_ ? V2ResourceWrites(resources) : V1ResourceWrites(resources);
  for (const CgroupWrite& write : writes) {
    std::string dir = DirFor(write.controller());
    if (dir.empty()) {
      if (write.optional) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot set ", write.file, ": no cgroup hierarchy has the ",
          write.controller(), " controller"));
    }
    if (write.optional && !Exists(absl::StrCat(dir, "/", write.file))) {
      continue;
    }
    if (write.controller() == "cpuset") {
      absl::string_view which = write.file == "cpuset.cpus" ? "cpus" : "mems";
      absl::StatusOr<std::string> available =
          AvailableCpuset(Parent(dir), which, unified_);
      if (available.ok()) {
        BERTH_RETURN_IF_ERROR(CheckCpusetSubset(
            write.value, *available, which == "cpus" ? "CPUs" : "mems"));
      }
    }
    BERTH_RETURN_IF_ERROR(WriteCgroupFile(dir, write.file, write.value));
  }
  return absl::OkStatus();
}

absl::Status LinuxCgroup::AddProcess(pid_t pid) {
  for (const Dir& dir : dirs_) {
    BERTH_RETURN_IF_ERROR(
        WriteCgroupFile(dir.path, "cgroup.procs", absl::StrCat(pid)));
  }
  return absl::OkStatus();
}

absl::Status LinuxCgroup::SetFrozen(bool frozen) {
  std::string dir = DirFor("freezer");
  if (dir.empty()) {
    return absl::FailedPreconditionError(
        "cannot freeze: the freezer cgroup controller is not mounted");
  }
  absl::string_view file = unified_ ? "cgroup.freeze" : "freezer.state";
  absl::string_view value =
      unified_ ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
  BERTH_RETURN_IF_ERROR(WriteCgroupFile(dir, file, value));
  BERTH_ASSIGN_OR_RETURN(
      bool settled, PollUntil([&]() -> absl::StatusOr<bool> {
        if (unified_) {
          BERTH_ASSIGN_OR_RETURN(uint64_t state,
                                 ReadKeyed(dir, "cgroup.events", "frozen"));
          return state == (frozen ? 1u : 0u);
        }
        BERTH_ASSIGN_OR_RETURN(std::string state,
                               ReadCgroupFile(dir, "freezer.state"));
        if (absl::StripAsciiWhitespace(state) == value) return true;
        // A task that was busy in the kernel can leave v1 stuck in
        // FREEZING; asking again retries the stragglers.
        BERTH_RETURN_IF_ERROR(WriteCgroupFile(dir, file, value));
        return false;
      }));
  if (!settled) {
    return absl::DeadlineExceededError(absl::StrCat(
        "cgroup ", path_, " did not become ", frozen ? "frozen" : "thawed",
        " within ", absl::FormatDuration(kSettleTimeout)));
  }
  return absl::OkStatus();
}

absl::Status LinuxCgroup::Freeze() { return SetFrozen(true); }

absl::Status LinuxCgroup::Thaw() { return SetFrozen(false); }

absl::StatusOr<bool> LinuxCgroup::OomKilled() {
  std::string dir = DirFor("memory");
  if (dir.empty()) {
    return absl::FailedPreconditionError(
        "the memory cgroup controller is not mounted");
  }
  absl::string_view file = unified_ ? "memory.events" : "memory.oom_control";
  if (!Exists(absl::StrCat(dir, "/", file))) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, "/", file, " does not exist (is the memory controller enabled?)"));
  }
  BERTH_ASSIGN_OR_RETURN(uint64_t kills, ReadKeyed(dir, file, "oom_kill"));
  return kills > 0;
}

absl::StatusOr<CgroupStats> LinuxCgroup::Stats() {
  if (std::none_of(dirs_.begin(), dirs_.end(),
                   [](const Dir& dir) { return Exists(dir.path); })) {
    return absl::NotFoundError(
        absl::StrCat("cgroup ", path_, " does not exist"));
  }
  // A controller that is not there leaves its numbers at zero.
  CgroupStats stats;
  std::string memory = DirFor("memory");
  std::string cpu = DirFor(unified_ ? "cpu" : "cpuacct");
  std::string pids = DirFor("pids");
  if (!memory.empty()) {
    absl::StatusOr<uint64_t> usage =
        ReadUint(memory, unified_ ? "memory.current" : "memory.usage_in_bytes");
    if (usage.ok()) stats.memory_usage_bytes = *usage;
    absl::StatusOr<uint64_t> limit =
        ReadUint(memory, unified_ ? "memory.max" : "memory.limit_in_bytes");
    if (limit.ok() && *limit < kV1Unlimited) stats.memory_limit_bytes = *limit;
    absl::StatusOr<uint64_t> peak = ReadUint(
        memory, unified_ ? "memory.peak" : "memory.max_usage_in_bytes");
    if (peak.ok()) stats.memory_max_usage_bytes = *peak;
    absl::StatusOr<std::string> stat = ReadCgroupFile(memory, "memory.stat");
    if (stat.ok()) {
      for (absl::string_view line : absl::StrSplit(*stat, '\n')) {
        std::pair<absl::string_view, absl::string_view> kv =
            absl::StrSplit(line, absl::MaxSplits(' ', 1));
        uint64_t value = 0;
        if (absl::SimpleAtoi(kv.second, &value)) {
          stats.memory_stat[std::string(kv.first)] = value;
        }
      }
    }
  }
  if (!cpu.empty()) {
    if (unified_) {
      absl::StatusOr<uint64_t> usec = ReadKeyed(cpu, "cpu.stat", "usage_usec");
      if (usec.ok()) stats.cpu_usage_ns = *usec * 1000;
      usec = ReadKeyed(cpu, "cpu.stat", "user_usec");
      if (usec.ok()) stats.cpu_user_ns = *usec * 1000;
      usec = ReadKeyed(cpu, "cpu.stat", "system_usec");
      if (usec.ok()) stats.cpu_system_ns = *usec * 1000;
    } else {
      absl::StatusOr<uint64_t> ns = ReadUint(cpu, "cpuacct.usage");
      if (ns.ok()) stats.cpu_usage_ns = *ns;
      ns = ReadUint(cpu, "cpuacct.usage_user");
      if (ns.ok()) stats.cpu_user_ns = *ns;
      ns = ReadUint(cpu, "cpuacct.usage_sys");
      if (ns.ok()) stats.cpu_system_ns = *ns;
    }
  }
  if (!pids.empty()) {
    absl::StatusOr<uint64_t> current = ReadUint(pids, "pids.current");
    if (current.ok()) stats.pids_current = *current;
    absl::StatusOr<uint64_t> max = ReadUint(pids, "pids.max");
    if (max.ok() && *max != std::numeric_limits<uint64_t>::max()) {
      stats.pids_limit = *max;
    }
  }
  return stats;
}

std::vector<pid_t> LinuxCgroup::Pids() {
  // The union: a failed AddProcess can leave a process in some v1
  // hierarchies only.
  std::set<pid_t> pids;
  for (const Dir& dir : dirs_) ReadProcs(dir.path, &pids);
  return std::vector<pid_t>(pids.begin(), pids.end());
}

absl::Status LinuxCgroup::KillAll() {
  if (!unified_) {
    // v1 holds SIGKILL for frozen tasks until they thaw.
    std::string freezer = DirFor("freezer");
    if (!freezer.empty()) {
      absl::StatusOr<std::string> state =
          ReadCgroupFile(freezer, "freezer.state");
      if (state.ok() && absl::StripAsciiWhitespace(*state) != "THAWED") {
        BERTH_RETURN_IF_ERROR(Thaw());
      }
    }
  }
  bool cgroup_kill =
      unified_ && !dirs_.empty() && Exists(dirs_[0].path + "/cgroup.kill");
  std::vector<pid_t> left;
  BERTH_ASSIGN_OR_RETURN(
      bool empty, PollUntil([&]() -> absl::StatusOr<bool> {
        left = Pids();
        if (left.empty()) return true;
        if (cgroup_kill) {
          WriteCgroupFile(dirs_[0].path, "cgroup.kill", "1").IgnoreError();
        } else {
          for (pid_t pid : left) kill(pid, SIGKILL);
        }
        return false;
      }));
  if (!empty) {
    return absl::DeadlineExceededError(
        absl::StrCat("processes ", absl::StrJoin(left, ", "),
                     " are still in cgroup ", path_, " after SIGKILL"));
  }
  return absl::OkStatus();
}

absl::Status LinuxCgroup::Destroy() {
  BERTH_RETURN_IF_ERROR(KillAll());
  for (const Dir& dir : dirs_) {
    BERTH_RETURN_IF_ERROR(RemoveCgroupTree(dir.path));
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
