#ifndef BERTH_SERVICES_RUNTIME_LINUX_CGROUP_H_
#define BERTH_SERVICES_RUNTIME_LINUX_CGROUP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/runtime/cgroup.h"
#include "services/runtime/cgroup_layout.h"
#include "services/runtime/spec.h"

namespace berth::runtime {

// A cgroup on Linux through the cgroup filesystems: one directory per v1
// hierarchy (hybrid or legacy layouts) or one v2 directory.
class LinuxCgroup : public Cgroup {
 public:
  // The cgroup's directory in one hierarchy.
  struct Dir {
    std::vector<std::string> controllers;  // v2: the root's controllers
    std::string path;                      // /sys/fs/cgroup/memory/berth/x
  };

  // Creates `cgroups_path` (see CgroupDir) in every hierarchy of this
  // machine's layout and applies `resources` and, on v1, the default
  // device rules (V1DefaultDeviceRules). An existing cgroup is reused
  // and updated. A value the kernel refuses is InvalidArgument naming it;
  // on any failure the directories it created are removed again.
  static absl::StatusOr<std::unique_ptr<Cgroup>> Create(
      const std::string& cgroups_path, const Resources& resources);

  // An existing cgroup, e.g. after the shim restarts. NotFound if absent.
  static absl::StatusOr<std::unique_ptr<Cgroup>> Open(
      const std::string& cgroups_path);

  // The same against an explicit layout (tests use fake trees).
  static absl::StatusOr<std::unique_ptr<LinuxCgroup>> CreateWithLayout(
      const CgroupLayout& layout, const std::string& cgroups_path,
      const Resources& resources);
  static absl::StatusOr<std::unique_ptr<LinuxCgroup>> OpenWithLayout(
      const CgroupLayout& layout, const std::string& cgroups_path);

  const std::string& path() const override { return path_; }
  absl::Status AddProcess(pid_t pid) override;
  absl::Status Freeze() override;
  absl::Status Thaw() override;
  absl::StatusOr<bool> OomKilled() override;
  absl::StatusOr<CgroupStats> Stats() override;
  std::vector<pid_t> Pids() override;
  absl::Status Destroy() override;

  bool unified() const { return unified_; }
  const std::vector<Dir>& dirs() const { return dirs_; }

  // The directory holding `controller`'s files; empty if none does.
  std::string DirFor(absl::string_view controller) const;

 private:
  LinuxCgroup(std::string path, bool unified, std::vector<Dir> dirs)
      : path_(std::move(path)), unified_(unified), dirs_(std::move(dirs)) {}

  absl::Status MakeDirs(const CgroupLayout& layout,
                        std::vector<std::string>* created);
  absl::Status ApplyResources(const Resources& resources);
  absl::Status SetFrozen(bool frozen);
  absl::Status KillAll();

  std::string path_;
  bool unified_;
  std::vector<Dir> dirs_;
};

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_LINUX_CGROUP_H_
