#ifndef BERTH_SERVICES_DAEMON_GRAPHDRIVER_VFS_DRIVER_H_
#define BERTH_SERVICES_DAEMON_GRAPHDRIVER_VFS_DRIVER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/daemon/graphdriver/driver.h"

namespace berth {

// Every layer is a full copy of its parent in <root>/vfs/dir/<id>. Slow and
// space hungry, but works on any filesystem and needs no mounts. Stateless
// apart from the filesystem, hence thread-safe; Create is atomic (copy into
// <root>/vfs/tmp, then rename).
class VfsDriver : public GraphDriver {
 public:
  // `root` is <data-root>/graph; creates <root>/vfs/dir.
  static absl::StatusOr<std::unique_ptr<VfsDriver>> New(
      const std::string& root);

  std::string Name() const override { return "vfs"; }
  LayerFormat Format() const override { return LayerFormat::kFullCopy; }
  absl::Status Create(const std::string& id,
                      const std::string& parent) override;
  std::string DiffDir(const std::string& id) const override;
  absl::StatusOr<std::string> Get(const std::string& id) override;
  absl::Status Put(const std::string& id) override;
  absl::Status Remove(const std::string& id) override;
  bool Exists(const std::string& id) const override;
  std::vector<std::pair<std::string, std::string>> Status() const override;

 private:
  VfsDriver(std::string home, std::string tmp, std::string backing_fs)
      : home_(std::move(home)),
        tmp_(std::move(tmp)),
        backing_fs_(std::move(backing_fs)) {}

  const std::string home_;  // <root>/vfs/dir
  const std::string tmp_;   // <root>/vfs/tmp: copies in progress
  const std::string backing_fs_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_GRAPHDRIVER_VFS_DRIVER_H_
