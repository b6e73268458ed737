#ifndef BERTH_SERVICES_RUNTIME_USER_H_
#define BERTH_SERVICES_RUNTIME_USER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::runtime {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home = "/";  // for $HOME
};

// One line of /etc/passwd or /etc/group.
struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};
struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// Lenient like libc: malformed lines are skipped.
std::vector<PasswdEntry> ParsePasswd(absl::string_view text);
std::vector<GroupEntry> ParseGroup(absl::string_view text);

// Docker's `--user` against the image: "" is root (0:0), then "uid",
// "uid:gid", "name", "name:group" (either part numeric or a name). Names
// are looked up in <rootfs>/etc/passwd and etc/group, opened so that a
// symlink cannot leave the rootfs; numeric parts need no entry. A user
// found in passwd brings its primary gid and home. Supplementary groups
// are the groups listing the user's name, unless a group was given.
// Unknown names: NotFound with Docker's wording.
absl::StatusOr<ResolvedUser> ResolveUser(const std::string& rootfs,
                                         absl::string_view user);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_USER_H_
