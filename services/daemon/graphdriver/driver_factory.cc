#include "services/daemon/graphdriver/driver_factory.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/graphdriver/mount_ops.h"
#include "services/daemon/graphdriver/overlay_driver.h"
#include "services/daemon/graphdriver/vfs_driver.h"

namespace berth {
namespace {

constexpr const char* kDrivers[] = {"overlay", "vfs"};

bool NonEmptyDir(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (struct dirent* ent = readdir(dir)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") {
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

// The driver `root` was made with, "" for a new root.
absl::StatusOr<std::string> PriorDriver(const std::string& root) {
  std::string file = absl::StrCat(root, "/driver");
  absl::StatusOr<std::string> recorded = ReadFile(file);
  if (recorded.ok()) {
    std::string name(absl::StripAsciiWhitespace(*recorded));
    if (name.empty()) {
      return absl::DataLossError(
          absl::StrCat(file, " is empty; restore it or remove it"));
    }
    return name;
  }
  if (!absl::IsNotFound(recorded.status())) return recorded.status();
  // A root from before the driver file: whichever driver dir holds layers.
  for (const char* driver : kDrivers) {
    std::string dir = absl::StrCat(root, "/", driver);
    if (std::string(driver) == "vfs") dir += "/dir";
    if (NonEmptyDir(dir)) return std::string(driver);
  }
  return std::string();
}

absl::Status CheckOptions(const std::string& driver,
                          const std::vector<std::string>& options) {
  for (const std::string& option : options) {
    size_t eq = option.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "storage option \"", option, "\" is not of the form KEY=VALUE"));
    }
    std::string key(absl::StripAsciiWhitespace(option.substr(0, eq)));
    return absl::InvalidArgumentError(
        absl::StrCat("unknown storage option \"", key, "\" for the ", driver,
                     " driver; it takes no --storage-opt options"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GraphDriver>> NewGraphDriver(
    const std::string& name, const std::string& root,
    const std::vector<std::string>& options) {
  return NewGraphDriver(name, root, options,
                        std::make_unique<SystemMountOps>());
}

absl::StatusOr<std::unique_ptr<GraphDriver>> NewGraphDriver(
    const std::string& name, const std::string& root,
    const std::vector<std::string>& options,
    std::unique_ptr<MountOps> mount_ops) {
  if (mount_ops == nullptr) {
    return absl::InvalidArgumentError("NewGraphDriver: null MountOps");
  }
  if (root.empty() || root[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "graph driver root \"", root, "\" is not an absolute path"));
  }
  std::string wanted = name == "overlay2" ? "overlay" : name;
  if (!wanted.empty() && wanted != "overlay" && wanted != "vfs") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown storage driver \"", name,
                     "\": berth has the overlay and vfs drivers"));
  }
  BERTH_ASSIGN_OR_RETURN(std::string prior, PriorDriver(root));
  if (!prior.empty() && prior != "overlay" && prior != "vfs") {
    return absl::FailedPreconditionError(absl::StrCat(
        "storage driver \"", prior, "\" recorded in ", root,
        "/driver is unknown to berth; remove the data root to start over"));
  }
  if (!wanted.empty() && !prior.empty() && wanted != prior) {
    return absl::FailedPreconditionError(
        absl::StrCat("prior storage driver ", prior, " found in ", root,
                     ": restart with --storage-driver=", prior,
                     ", or remove the data root to switch to ", wanted));
  }
  std::optional<absl::Status> overlay_support;
  if (wanted.empty()) {
    if (!prior.empty()) {
      wanted = prior;
    } else {
      overlay_support = CheckOverlaySupport(root, *mount_ops);
      wanted = overlay_support->ok() ? "overlay" : "vfs";
    }
  }
  BERTH_RETURN_IF_ERROR(CheckOptions(wanted, options));

  std::unique_ptr<GraphDriver> driver;
  if (wanted == "overlay") {
    if (!overlay_support.has_value()) {
      overlay_support = CheckOverlaySupport(root, *mount_ops);
    }
    if (!overlay_support->ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "storage driver overlay cannot be used on ", root, ": ",
          overlay_support->message(), ". Use --storage-driver=vfs instead",
          prior.empty() ? "" : " (after removing the data root)"));
    }
    BERTH_ASSIGN_OR_RETURN(driver,
                           OverlayDriver::New(root, std::move(mount_ops)));
  } else {
    BERTH_ASSIGN_OR_RETURN(driver, VfsDriver::New(root));
  }
  std::string record = absl::StrCat(root, "/driver");
  struct stat st;
  if (lstat(record.c_str(), &st) != 0 && errno == ENOENT) {
    BERTH_RETURN_IF_ERROR(WriteFileAtomic(record, wanted + "\n", 0600));
  }
  return driver;
}

}  // namespace berth
