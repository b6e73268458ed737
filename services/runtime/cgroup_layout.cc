#include "services/runtime/cgroup_layout.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/files.h"
#include "services/runtime/path_util.h"

namespace berth::runtime {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(absl::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' &&
        field[i + 1] <= '7') {
      int value = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                  (field[i + 3] - '0');
      out.push_back(static_cast<char>(value));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

struct MountEntry {
  std::string root;
  std::string mount_point;
  std::string fstype;
  std::vector<std::string> super_options;
};

std::vector<MountEntry> ParseMountInfo(absl::string_view text) {
  std::vector<MountEntry> entries;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4) {
      continue;
    }
    MountEntry entry;
    entry.root = Unescape(fields[3]);
    entry.mount_point = Unescape(fields[4]);
    entry.fstype = std::string(dash[1]);
    entry.super_options = absl::StrSplit(dash[3], ',');
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace

bool CgroupHierarchy::Has(absl::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) !=
         controllers.end();
}

const std::vector<std::string>& ManagedV1Controllers() {
  static const auto* const kControllers =
      new std::vector<std::string>{"memory", "cpu",     "cpuacct", "cpuset",
                                   "pids",   "freezer", "blkio",   "devices"};
  return *kControllers;
}

absl::StatusOr<CgroupLayout> ParseCgroupLayout(
    absl::string_view mountinfo, absl::string_view self_cgroup,
    absl::string_view unified_mount_point) {
  // /proc/self/cgroup: "4:memory:/path", "0::/path" for v2.
  std::vector<std::pair<std::vector<std::string>, std::string>> own;
  std::string own_unified = "/";
  for (absl::string_view line : absl::StrSplit(self_cgroup, '\n')) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (fields.size() != 3) continue;
    if (fields[0] == "0" && fields[1].empty()) {
      own_unified = std::string(fields[2]);
      continue;
    }
    own.emplace_back(absl::StrSplit(fields[1], ','), std::string(fields[2]));
  }

  CgroupLayout layout;
  std::vector<MountEntry> mounts = ParseMountInfo(mountinfo);
  for (const MountEntry& mount : mounts) {
    if (mount.fstype == "cgroup2" && mount.mount_point == unified_mount_point) {
      layout.unified = true;
      CgroupHierarchy hierarchy;
      hierarchy.mount_point = mount.mount_point;
      hierarchy.root = mount.root;
      hierarchy.own_path = own_unified;
      layout.hierarchies.push_back(std::move(hierarchy));
      return layout;
    }
  }

  std::set<std::string> seen;
  for (const MountEntry& mount : mounts) {
    if (mount.fstype != "cgroup") continue;
    CgroupHierarchy hierarchy;
    for (const std::string& option : mount.super_options) {
      const std::vector<std::string>& managed = ManagedV1Controllers();
      if (std::find(managed.begin(), managed.end(), option) != managed.end()) {
        hierarchy.controllers.push_back(option);
      }
    }
    if (hierarchy.controllers.empty()) continue;
    // The same hierarchy may be mounted twice (a bind elsewhere): keep the
    // first mount.
    if (!seen.insert(hierarchy.controllers.front()).second) continue;
    hierarchy.mount_point = mount.mount_point;
    hierarchy.root = mount.root;
    for (const auto& [controllers, path] : own) {
      if (std::find(controllers.begin(), controllers.end(),
                    hierarchy.controllers.front()) != controllers.end()) {
        hierarchy.own_path = path;
      }
    }
    layout.hierarchies.push_back(std::move(hierarchy));
  }
  if (layout.hierarchies.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no cgroup hierarchy found: neither cgroup2 at ", unified_mount_point,
        " nor a cgroup v1 hierarchy with any of memory, cpu, cpuacct, "
        "cpuset, pids, freezer, blkio, devices"));
  }
  return layout;
}

absl::StatusOr<CgroupLayout> DetectCgroupLayout() {
  absl::StatusOr<std::string> mountinfo = ReadFile("/proc/self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  absl::StatusOr<std::string> self_cgroup = ReadFile("/proc/self/cgroup");
  if (!self_cgroup.ok()) return self_cgroup.status();
  absl::StatusOr<CgroupLayout> layout =
      ParseCgroupLayout(*mountinfo, *self_cgroup);
  if (!layout.ok() || !layout->unified) return layout;
  absl::StatusOr<std::string> controllers =
      ReadFile("/sys/fs/cgroup/cgroup.controllers");
  if (!controllers.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cgroup2 is mounted at /sys/fs/cgroup but ",
                     controllers.status().message()));
  }
  layout->hierarchies[0].controllers = absl::StrSplit(
      absl::StripAsciiWhitespace(*controllers), ' ', absl::SkipEmpty());
  return layout;
}

absl::StatusOr<std::string> CgroupDir(const CgroupHierarchy& hierarchy,
                                      absl::string_view cgroups_path) {
  if (cgroups_path.empty()) {
    return absl::InvalidArgumentError("empty cgroups path");
  }
  if (absl::StrContains(cgroups_path, ':')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cgroups path \"", cgroups_path,
        "\" looks like systemd's slice:prefix:name, which berth does not "
        "support; use a path such as /berth/<id>"));
  }
  if (cgroups_path[0] == '/') {
    return JoinUnder(hierarchy.mount_point, cgroups_path);
  }
  // Our own cgroup is a path in the whole hierarchy; the mount shows it
  // from `root` down.
  std::string own = CleanPath(hierarchy.own_path);
  std::string root = CleanPath(hierarchy.root);
  if (root != "/" && absl::StartsWith(own, root)) {
    own = own.substr(root.size());
  }
  return JoinUnder(hierarchy.mount_point,
                   CleanPath(absl::StrCat("/", own, "/", cgroups_path)));
}

}  // namespace berth::runtime
