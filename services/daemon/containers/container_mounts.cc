#include "services/daemon/containers/container_mounts.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"

namespace berth {
namespace {

bool IsPropagation(absl::string_view option) {
  return absl::EndsWith(option, "private") ||
         absl::EndsWith(option, "shared") || absl::EndsWith(option, "slave");
}

// "-v SRC:DST[:OPTS]": OPTS are ro/rw, nocopy, propagation and SELinux
// labels (accepted, there is no SELinux here).
absl::StatusOr<v1::MountPoint> ParseBind(const std::string& spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid volume specification: '", spec, "'", why));
  };
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() ||
      parts[1].empty()) {
    return invalid("");
  }
  v1::MountPoint mount;
  bool bind = parts[0][0] == '/';
  mount.set_type(bind ? "bind" : "volume");
  if (bind) {
    mount.set_source(parts[0]);
  } else {
    mount.set_name(parts[0]);
  }
  mount.set_destination(parts[1]);
  if (parts.size() == 3) {
    for (absl::string_view option : absl::StrSplit(parts[2], ',')) {
      if (option == "ro") {
        mount.set_read_only(true);
      } else if (option == "nocopy" && !bind) {
        mount.set_no_copy(true);
      } else if (option != "rw" && option != "z" && option != "Z" &&
                 !IsPropagation(option)) {
        return invalid(absl::StrCat(": invalid mode: ", option));
      }
    }
  }
  return mount;
}

}  // namespace

absl::StatusOr<std::vector<v1::MountPoint>> ResolveMounts(
    const v1::HostConfig& host, const std::vector<std::string>& volume_paths) {
  std::vector<v1::MountPoint> mounts;
  for (const std::string& spec : host.binds()) {
    BERTH_ASSIGN_OR_RETURN(v1::MountPoint mount, ParseBind(spec));
    mounts.push_back(std::move(mount));
  }
  for (const v1::MountPoint& given : host.mounts()) {
    if (given.type() == "tmpfs") continue;
    if (given.type() != "bind" && given.type() != "volume") {
      return absl::InvalidArgumentError(
          absl::StrCat("mount type \"", given.type(), "\" is not supported"));
    }
    v1::MountPoint mount = given;
    if (mount.type() == "volume") {
      mount.set_name(mount.source());
      mount.clear_source();
    } else if (mount.source().empty()) {
      return absl::InvalidArgumentError(
          "invalid mount config for type \"bind\": field Source must not be "
          "empty");
    }
    mounts.push_back(std::move(mount));
  }
  for (const std::string& path : volume_paths) {
    v1::MountPoint mount;
    mount.set_type("volume");
    mount.set_destination(path);
    mount.set_anonymous(true);
    mounts.push_back(std::move(mount));
  }
  std::vector<std::string> seen;
  std::vector<v1::MountPoint> out;
  for (v1::MountPoint& mount : mounts) {
    const std::string& destination = mount.destination();
    if (destination.empty() || destination[0] != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid mount config for type \"", mount.type(),
                       "\": invalid mount path: '", destination,
                       "' mount path must be absolute"));
    }
    if (std::find(seen.begin(), seen.end(), destination) != seen.end()) {
      // A VOLUME the user mounted something on is simply covered.
      if (mount.anonymous()) continue;
      return absl::InvalidArgumentError(
          absl::StrCat("Duplicate mount point: ", destination));
    }
    seen.push_back(destination);
    mount.set_anonymous(mount.type() == "volume" && mount.name().empty());
    out.push_back(std::move(mount));
  }
  return out;
}

}  // namespace berth
