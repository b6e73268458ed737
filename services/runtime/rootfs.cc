#include "services/runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"
#include "services/runtime/in_root.h"
#include "services/runtime/mount_options.h"
#include "services/runtime/path_util.h"

namespace berth::runtime {
namespace {

// Host devices bound into every container's /dev. Binding instead of
// mknod works whatever the mount options of /dev and needs no CAP_MKNOD.
constexpr const char* kDevices[] = {"null",   "zero",    "full",
                                    "random", "urandom", "tty"};

// A bind's own flags; everything else takes the remount.
constexpr unsigned long kBindFlags = MS_BIND | MS_REC | MS_REMOUNT;

absl::Status MountError(size_t index, const Mount& mount,
                        absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("mounts[", index, "] (", mount.type, " on ",
                   mount.destination, "): ", what));
}

absl::StatusOr<std::string> ContainerPath(absl::string_view path,
                                          absl::string_view what) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", path, "\" must be an absolute path"));
  }
  return CleanPath(path);
}

void AddCgroupSteps(const std::string& target, const MountOptions& options,
                    const CgroupMountSource& cgroups,
                    std::vector<RootfsStep>* steps) {
  unsigned long flags = options.flags & ~kBindFlags;
  if (cgroups.unified) {
    RootfsStep step;
    step.target = target;
    if (cgroups.new_namespace) {
      step.source = "cgroup2";
      step.fstype = "cgroup2";
      step.flags = flags;
    } else {
      // Without a cgroup namespace a fresh cgroup2 mount would show the
      // whole host tree: show the container's cgroup only.
      step.source = cgroups.hierarchies[0].host_dir;
      step.flags = MS_BIND | MS_REC;
      step.remount_flags = flags;
    }
    steps->push_back(std::move(step));
    return;
  }
  RootfsStep tmpfs;
  tmpfs.target = target;
  tmpfs.source = "tmpfs";
  tmpfs.fstype = "tmpfs";
  tmpfs.flags = flags & ~MS_RDONLY;
  tmpfs.data = "mode=755";
  steps->push_back(std::move(tmpfs));
  for (const CgroupMountSource::Hierarchy& hierarchy : cgroups.hierarchies) {
    std::string name = absl::StrJoin(hierarchy.controllers, ",");
    RootfsStep bind;
    bind.source = hierarchy.host_dir;
    bind.target = absl::StrCat(target, "/", name);
    bind.flags = MS_BIND | MS_REC;
    bind.remount_flags = flags;
    steps->push_back(std::move(bind));
    if (hierarchy.controllers.size() > 1) {
      for (const std::string& controller : hierarchy.controllers) {
        RootfsStep link;
        link.kind = RootfsStep::Kind::kSymlink;
        link.source = name;
        link.target = absl::StrCat(target, "/", controller);
        steps->push_back(std::move(link));
      }
    }
  }
  if (flags & MS_RDONLY) {
    RootfsStep remount;
    remount.kind = RootfsStep::Kind::kRemount;
    remount.target = target;
    remount.flags = flags;
    steps->push_back(std::move(remount));
  }
}

// --- Child side.

int Fail(ChildReport* report, ChildStage stage, int err, const char* what,
         const char* path) {
  SetChildReport(report, stage, err, "%s %s", what, path);
  return -1;
}

// The flags a remount must keep: dropping nosuid or nodev by omission is
// refused (EPERM) when they are locked, and would loosen them otherwise.
// statfs, not statvfs: glibc's statvfs may fall back to reading
// /proc/mounts with malloc.
unsigned long KeptFlags(const char* path) {
  struct statfs st;
  if (statfs(path, &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flags & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flags & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flags & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flags & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

// mount(2) on `step.target` inside the root, through an O_PATH fd so that
// the kernel acts on exactly what OpenInRoot resolved. Returns 0, the
// mount's errno, or -1 after reporting that the target could not be opened.
int MountAt(int root_fd, const RootfsStep& step, const char* source,
            const char* fstype, unsigned long flags, const char* data,
            ChildReport* report) {
  int fd = OpenInRoot(root_fd, step.target.c_str(), O_PATH, 0);
  if (fd < 0) {
    return Fail(report, step.stage, -fd, "open mount point",
                step.target.c_str());
  }
  char fd_path[32];
  int rc = mount(source, ProcFdPath(fd, fd_path, sizeof(fd_path)), fstype,
                 flags, data);
  int err = rc == 0 ? 0 : errno;
  close(fd);
  return err;
}

int RunStep(int root_fd, const RootfsStep& step, ChildReport* report) {
  const char* target = step.target.c_str();
  if (step.kind == RootfsStep::Kind::kSymlink) {
    int rc = SymlinkInRoot(root_fd, step.source.c_str(), target);
    if (rc < 0) return Fail(report, step.stage, -rc, "create symlink", target);
    return 0;
  }
  if (step.kind == RootfsStep::Kind::kRemount) {
    int err = MountAt(root_fd, step, nullptr, nullptr, MS_REMOUNT | step.flags,
                      nullptr, report);
    if (err < 0) return -1;
    if (err > 0) return Fail(report, step.stage, err, "remount", target);
    return 0;
  }
  int rc = step.file_target ? CreateFileInRoot(root_fd, target, 0644)
                            : MkdirAllInRoot(root_fd, target, 0755);
  if (rc < 0) {
    return Fail(report, step.stage, -rc,
                "create mount point in the rootfs:", target);
  }
  const char* fstype = step.fstype.empty() ? nullptr : step.fstype.c_str();
  const char* data = step.data.empty() ? nullptr : step.data.c_str();
  unsigned long remount_flags = step.remount_flags;
  int err = MountAt(root_fd, step, step.source.c_str(), fstype, step.flags,
                    data, report);
  if (err == EPERM && step.fstype == "sysfs") {
    // sysfs refuses a mount from a process sharing the host's network
    // namespace: show the host's /sys instead, as runc does.
    err = MountAt(root_fd, step, "/sys", nullptr, MS_BIND | MS_REC, nullptr,
                  report);
    remount_flags = step.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  }
  if (err < 0) return -1;
  if (err > 0) {
    SetChildReport(report, step.stage, err, "mount %s (type %s) on %s",
                   step.source.c_str(), fstype ? fstype : "bind", target);
    return -1;
  }
  if (remount_flags != 0) {
    err = MountAt(root_fd, step, nullptr, nullptr,
                  MS_REMOUNT | MS_BIND | remount_flags, nullptr, report);
    if (err < 0) return -1;
    if (err > 0) {
      return Fail(report, step.stage, err, "remount with its options", target);
    }
  }
  if (step.propagation != 0) {
    err = MountAt(root_fd, step, nullptr, nullptr, step.propagation, nullptr,
                  report);
    if (err < 0) return -1;
    if (err > 0) {
      return Fail(report, step.stage, err, "set the propagation of", target);
    }
  }
  return 0;
}

}  // namespace

absl::StatusOr<RootfsPlan> PlanRootfs(const Spec& spec,
                                      const CgroupMountSource& cgroups,
                                      const std::string& console) {
  RootfsPlan plan;
  BERTH_ASSIGN_OR_RETURN(plan.rootfs, ContainerPath(spec.rootfs, "rootfs"));
  if (plan.rootfs == "/") {
    return absl::InvalidArgumentError("the rootfs cannot be the host's /");
  }
  plan.readonly = spec.rootfs_readonly;
  bool has_devpts = false;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& mount = spec.mounts[i];
    absl::StatusOr<std::string> target =
        ContainerPath(mount.destination, "destination");
    if (!target.ok()) return MountError(i, mount, target.status().message());
    if (*target == "/") return MountError(i, mount, "cannot mount over /");
    absl::StatusOr<MountOptions> options = ParseMountOptions(mount.options);
    if (!options.ok()) return MountError(i, mount, options.status().message());

    if (mount.type == "cgroup") {
      if (cgroups.available && !cgroups.hierarchies.empty()) {
        AddCgroupSteps(*target, *options, cgroups, &plan.steps);
      }
      continue;
    }
    RootfsStep step;
    step.target = *target;
    step.propagation = options->propagation;
    if (mount.type == "bind" || (options->flags & MS_BIND)) {
      if (mount.source.empty() || mount.source[0] != '/') {
        return MountError(i, mount,
                          absl::StrCat("bind source \"", mount.source,
                                       "\" must be an absolute path"));
      }
      struct stat st;
      if (stat(mount.source.c_str(), &st) != 0) {
        // Docker's wording.
        return MountError(
            i, mount,
            absl::StrCat("bind source path does not exist: ", mount.source));
      }
      step.source = mount.source;
      step.file_target = !S_ISDIR(st.st_mode);
      step.flags = MS_BIND | (options->flags & MS_REC);
      step.remount_flags = options->flags & ~kBindFlags;
    } else {
      if (mount.type.empty()) {
        return MountError(i, mount, "a mount needs a type");
      }
      step.source = mount.source.empty() ? mount.type : mount.source;
      step.fstype = mount.type;
      step.flags = options->flags;
      step.data = options->data;
      if (mount.type == "devpts" && *target == "/dev/pts") has_devpts = true;
    }
    plan.steps.push_back(std::move(step));
  }

  for (const char* device : kDevices) {
    RootfsStep step;
    step.source = absl::StrCat("/dev/", device);
    step.target = step.source;
    step.flags = MS_BIND;
    step.file_target = true;
    step.stage = ChildStage::kDevices;
    plan.steps.push_back(std::move(step));
  }
  std::vector<std::pair<std::string, std::string>> links = {
      {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
      {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
      {"/proc/kcore", "/dev/core"},
  };
  if (has_devpts) links.emplace_back("pts/ptmx", "/dev/ptmx");
  for (auto& [link_target, path] : links) {
    RootfsStep step;
    step.kind = RootfsStep::Kind::kSymlink;
    step.source = link_target;
    step.target = path;
    step.stage = ChildStage::kDevices;
    plan.steps.push_back(std::move(step));
  }
  if (spec.process.terminal) {
    if (console.empty() || console[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat(
          "a terminal needs the pty's path for /dev/console, not \"", console,
          "\""));
    }
    RootfsStep step;
    step.source = console;
    step.target = "/dev/console";
    step.flags = MS_BIND;
    step.file_target = true;
    step.stage = ChildStage::kDevices;
    plan.steps.push_back(std::move(step));
  }
  for (const std::string& path : spec.masked_paths) {
    BERTH_ASSIGN_OR_RETURN(std::string clean,
                           ContainerPath(path, "masked path"));
    plan.masked_paths.push_back(std::move(clean));
  }
  for (const std::string& path : spec.readonly_paths) {
    BERTH_ASSIGN_OR_RETURN(std::string clean,
                           ContainerPath(path, "read-only path"));
    plan.readonly_paths.push_back(std::move(clean));
  }
  return plan;
}

int RootfsMount(const RootfsPlan& plan, ChildReport* report) {
  const char* rootfs = plan.rootfs.c_str();
  // Nothing the container mounts may propagate back to the host, while
  // host mounts still reach it.
  if (mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    return Fail(report, ChildStage::kRootfs, errno,
                "make the mount tree a slave of the host's:", "/");
  }
  // pivot_root needs the new root to be a mount point.
  if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return Fail(report, ChildStage::kRootfs, errno,
                "bind the rootfs onto itself:", rootfs);
  }
  // Opened after the bind, so that lookups from it see the mounts made on
  // top of the bind.
  int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    return Fail(report, ChildStage::kRootfs, errno, "open the rootfs", rootfs);
  }
  for (const RootfsStep& step : plan.steps) {
    if (RunStep(root_fd, step, report) != 0) {
      close(root_fd);
      return -1;
    }
  }
  close(root_fd);
  return 0;
}

int RootfsPivot(const RootfsPlan& plan, ChildReport* report) {
  const char* rootfs = plan.rootfs.c_str();
  int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old_root < 0) {
    return Fail(report, ChildStage::kRootfs, errno, "open", "/");
  }
  int new_root = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (new_root < 0) {
    close(old_root);
    return Fail(report, ChildStage::kRootfs, errno, "open the rootfs", rootfs);
  }
  // pivot_root(".", ".") stacks the old root on the new one; detaching it
  // from there needs no directory for it inside the rootfs.
  int rc = fchdir(new_root);
  const char* what = "enter the rootfs";
  if (rc == 0) {
    rc = static_cast<int>(syscall(SYS_pivot_root, ".", "."));
    what = "pivot_root to";
  }
  if (rc == 0) rc = fchdir(old_root);
  if (rc == 0) {
    // Our detach must not propagate to the host's copy of the old root.
    rc = mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr);
    what = "make the old root a slave after pivoting to";
  }
  if (rc == 0) {
    rc = umount2(".", MNT_DETACH);
    what = "detach the old root after pivoting to";
  }
  if (rc == 0) rc = chdir("/");
  int err = errno;
  close(old_root);
  close(new_root);
  if (rc != 0) return Fail(report, ChildStage::kRootfs, err, what, rootfs);
  return 0;
}

int RootfsFinish(const RootfsPlan& plan, ChildReport* report) {
  for (const std::string& path : plan.masked_paths) {
    const char* p = path.c_str();
    if (mount("/dev/null", p, nullptr, MS_BIND, nullptr) == 0) continue;
    if (errno == ENOENT) continue;
    // A directory: hide it under an empty read-only tmpfs.
    if (errno == ENOTDIR &&
        mount("tmpfs", p, "tmpfs", MS_RDONLY, nullptr) == 0) {
      continue;
    }
    return Fail(report, ChildStage::kMaskedPaths, errno, "mask", p);
  }
  for (const std::string& path : plan.readonly_paths) {
    const char* p = path.c_str();
    if (mount(p, p, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      return Fail(report, ChildStage::kReadonlyPaths, errno, "bind onto itself",
                  p);
    }
    unsigned long flags =
        MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | KeptFlags(p);
    if (mount(p, p, nullptr, flags, nullptr) != 0) {
      return Fail(report, ChildStage::kReadonlyPaths, errno, "make read-only",
                  p);
    }
  }
  if (plan.readonly) {
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | KeptFlags("/");
    if (mount(nullptr, "/", nullptr, flags, nullptr) != 0) {
      return Fail(report, ChildStage::kRootfs, errno,
                  "make the rootfs read-only:", plan.rootfs.c_str());
    }
  }
  return 0;
}

}  // namespace berth::runtime
