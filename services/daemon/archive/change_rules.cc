#include "services/daemon/archive/change_rules.h"

#include <errno.h>
#include <sys/xattr.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/fs_util.h"

namespace berth::archive_internal {
namespace {

constexpr char kCapabilityXattr[] = "security.capability";

bool SameFsTime(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec &&
         (a.tv_nsec == b.tv_nsec || a.tv_nsec == 0 || b.tv_nsec == 0);
}

}  // namespace

bool StatDiffers(const struct stat& old_st, const struct stat& new_st) {
  if (old_st.st_mode != new_st.st_mode || old_st.st_uid != new_st.st_uid ||
      old_st.st_gid != new_st.st_gid || old_st.st_rdev != new_st.st_rdev) {
    return true;
  }
  if (S_ISDIR(old_st.st_mode)) return false;
  return !SameFsTime(old_st.st_mtim, new_st.st_mtim) ||
         old_st.st_size != new_st.st_size;
}

absl::StatusOr<std::string> ReadCapability(int dirfd, const std::string& name) {
  // No lgetxattrat(): /proc/self/fd/N names the open directory for good.
  std::string path = absl::StrCat("/proc/self/fd/", dirfd, "/", name);
  std::string value(64, '\0');
  while (true) {
    ssize_t n =
        lgetxattr(path.c_str(), kCapabilityXattr, value.data(), value.size());
    if (n >= 0) {
      value.resize(n);
      return value;
    }
    if (errno == ENODATA || errno == EOPNOTSUPP || errno == ENOENT) {
      return std::string();
    }
    if (errno != ERANGE) {
      return ErrnoStatus(
          errno, absl::StrCat("read security.capability of ", Quote(name)));
    }
    value.resize(value.size() * 4);
  }
}

absl::StatusOr<bool> Differs(int old_dirfd, const std::string& old_name,
                             const struct stat& old_st, int new_dirfd,
                             const std::string& new_name,
                             const struct stat& new_st) {
  if (StatDiffers(old_st, new_st)) return true;
  BERTH_ASSIGN_OR_RETURN(std::string old_cap,
                         ReadCapability(old_dirfd, old_name));
  BERTH_ASSIGN_OR_RETURN(std::string new_cap,
                         ReadCapability(new_dirfd, new_name));
  return old_cap != new_cap;
}

std::string ChildPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? absl::StrCat("/", name) : absl::StrCat(dir, "/", name);
}

}  // namespace berth::archive_internal
