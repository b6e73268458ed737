#ifndef BERTH_SERVICES_RUNTIME_CGROUP_LAYOUT_H_
#define BERTH_SERVICES_RUNTIME_CGROUP_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::runtime {

// One mounted cgroup hierarchy.
struct CgroupHierarchy {
  std::string mount_point;  // "/sys/fs/cgroup/memory"
  std::string root;         // the cgroup mounted there, usually "/"
  // v1: the controllers bound to it, e.g. {"cpu", "cpuacct"}. v2: those
  // listed in the root's cgroup.controllers.
  std::vector<std::string> controllers;
  std::string own_path = "/";  // this process's cgroup (/proc/self/cgroup)

  bool Has(absl::string_view controller) const;
};

// Where the cgroup hierarchies are: one v2 hierarchy at /sys/fs/cgroup, or
// (hybrid, legacy) the v1 hierarchies of the controllers berth manages.
struct CgroupLayout {
  bool unified = false;
  std::vector<CgroupHierarchy> hierarchies;
};

// The v1 controllers berth creates a container cgroup in.
const std::vector<std::string>& ManagedV1Controllers();

// From the text of /proc/self/mountinfo and /proc/self/cgroup. A cgroup2
// mount at `unified_mount_point` makes the layout unified (its controllers
// are left empty: they live in a file); otherwise the v1 hierarchies with a
// managed controller are taken, the first mount of each.
absl::StatusOr<CgroupLayout> ParseCgroupLayout(
    absl::string_view mountinfo, absl::string_view self_cgroup,
    absl::string_view unified_mount_point = "/sys/fs/cgroup");

// The layout of this machine. Pure v2 is recognized by
// /sys/fs/cgroup/cgroup.controllers, whose list fills in its controllers.
absl::StatusOr<CgroupLayout> DetectCgroupLayout();

// The directory of `cgroups_path` in `hierarchy`. An absolute path is
// taken from the hierarchy's mount point, a relative one from this
// process's own cgroup, as runc does. ".." cannot climb out of the
// hierarchy; systemd's "slice:prefix:name" form is InvalidArgument.
absl::StatusOr<std::string> CgroupDir(const CgroupHierarchy& hierarchy,
                                      absl::string_view cgroups_path);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_CGROUP_LAYOUT_H_
