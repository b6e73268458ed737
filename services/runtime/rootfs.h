#ifndef BERTH_SERVICES_RUNTIME_ROOTFS_H_
#define BERTH_SERVICES_RUNTIME_ROOTFS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/runtime/child_report.h"
#include "services/runtime/spec.h"

namespace berth::runtime {

// A container's filesystem view, in two halves: PlanRootfs (the parent:
// parsing, checks, allocation) and the Rootfs* functions (the cloned child:
// syscalls only, no allocation, each failure reported with the path).

// One step, run in order against the rootfs before pivot_root. Targets are
// paths inside the container; they are created and resolved inside the
// rootfs (see in_root.h), so an image's symlinks cannot redirect them.
struct RootfsStep {
  enum class Kind {
    kMount,    // mount(source, target, fstype, flags, data)
    kSymlink,  // symlink(source, target)
    kRemount,  // mount(target, MS_REMOUNT | flags): e.g. a tmpfs made ro
  };
  Kind kind = Kind::kMount;
  std::string source;
  std::string target;
  std::string fstype;
  unsigned long flags = 0;
  std::string data;
  // MS_BIND ignores ro, nosuid and the like: they take a second call,
  // MS_REMOUNT | MS_BIND | remount_flags.
  unsigned long remount_flags = 0;
  unsigned long propagation = 0;  // a third call, if set
  bool file_target = false;       // mount on an (empty) file, not a dir
  ChildStage stage = ChildStage::kMount;
};

// Where the container's cgroup is on the host, for its /sys/fs/cgroup.
struct CgroupMountSource {
  bool available = false;  // no cgroup: the cgroup mount is skipped
  bool unified = false;
  bool new_namespace = false;  // the container has its own cgroup ns
  struct Hierarchy {
    std::vector<std::string> controllers;
    std::string host_dir;
  };
  std::vector<Hierarchy> hierarchies;  // v2: one
};

struct RootfsPlan {
  std::string rootfs;
  std::vector<RootfsStep> steps;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  bool readonly = false;
};

// spec.mounts (with a "cgroup" mount expanded for `cgroups`), then the
// standard devices bound from the host's /dev, the /dev symlinks, and for
// a terminal /dev/console bound from `console`, the pty slave's host path
// (a bind must name its source by path: an fd opened in the parent's
// mount namespace is refused from the child's).
//
// The cgroup mount: on v2, cgroup2 itself with a cgroup namespace (it then
// shows the container's cgroup as its root) and a bind of the container's
// cgroup directory without one. On v1, Docker's shape: a tmpfs with one
// bind per hierarchy of the container's directory, named after its
// controllers ("cpu,cpuacct" plus a symlink per controller when several
// share one), the tmpfs made read-only after when the mount asks for ro.
//
// Bad destinations or options are InvalidArgument naming the mount.
absl::StatusOr<RootfsPlan> PlanRootfs(const Spec& spec,
                                      const CgroupMountSource& cgroups,
                                      const std::string& console = "");

// --- The child's half: async-signal-safe, no allocation. Each returns 0,
// or -1 after filling `report`.

// Makes the mount tree a slave of the host's, binds the rootfs onto
// itself and runs every step.
int RootfsMount(const RootfsPlan& plan, ChildReport* report);

// pivot_root into the rootfs and detaches the old root.
int RootfsPivot(const RootfsPlan& plan, ChildReport* report);

// After the pivot: masked paths, read-only paths, a read-only root.
int RootfsFinish(const RootfsPlan& plan, ChildReport* report);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_ROOTFS_H_
