#include "services/daemon/archive/fs_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/base/files.h"

namespace berth::archive_internal {

std::string Quote(absl::string_view name) {
  return absl::StrCat("\"", absl::CHexEscape(name), "\"");
}

absl::StatusOr<std::vector<std::string>> ListDir(int dirfd, const char* name) {
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", Quote(name)));
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    return ErrnoStatus(err, "fdopendir");
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* d = readdir(dir)) {
    if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
      names.emplace_back(d->d_name);
    }
    errno = 0;
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return ErrnoStatus(err, absl::StrCat("readdir ", Quote(name)));
  return names;
}

}  // namespace berth::archive_internal
