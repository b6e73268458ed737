#include "services/daemon/graphdriver/mount_ops.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mount.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/files.h"

namespace berth {
namespace {

// Decodes mountinfo's \ooo escapes (space, tab, newline, backslash).
std::string Unescape(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size() && in[i + 1] >= '0' &&
        in[i + 1] <= '7' && in[i + 2] >= '0' && in[i + 2] <= '7' &&
        in[i + 3] >= '0' && in[i + 3] <= '7') {
      out.push_back(static_cast<char>(
          (in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 + (in[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::string Resolve(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) return buf;
  return path;
}

}  // namespace

absl::Status SystemMountOps::Mount(const std::string& source,
                                   const std::string& target,
                                   const std::string& fstype,
                                   unsigned long flags,
                                   const std::string& data) {
  if (mount(source.c_str(), target.c_str(), fstype.c_str(), flags,
            data.empty() ? nullptr : data.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("mount ", fstype, " on ", target));
  }
  return absl::OkStatus();
}

absl::Status SystemMountOps::Unmount(const std::string& target, int flags) {
  if (umount2(target.c_str(), flags) != 0) {
    return ErrnoStatus(errno, absl::StrCat("unmount ", target));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListMountPoints() {
  absl::StatusOr<std::string> info = ReadFile("/proc/self/mountinfo");
  if (!info.ok()) return info.status();
  std::vector<std::string> points;
  for (absl::string_view line : absl::StrSplit(*info, '\n')) {
    if (line.empty()) continue;
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT ...
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::MaxSplits(' ', 5));
    if (fields.size() < 5) {
      return absl::DataLossError(
          absl::StrCat("malformed /proc/self/mountinfo line: ", line));
    }
    points.push_back(Unescape(fields[4]));
  }
  return points;
}

absl::StatusOr<bool> IsMountPoint(const std::string& path) {
  std::string resolved = Resolve(path);
  absl::StatusOr<std::vector<std::string>> points = ListMountPoints();
  if (!points.ok()) return points.status();
  return std::find(points->begin(), points->end(), resolved) != points->end();
}

absl::Status UnmountAllUnder(const std::string& dir, MountOps& ops) {
  std::string root = Resolve(dir);
  while (!root.empty() && root.back() == '/') root.pop_back();
  absl::StatusOr<std::vector<std::string>> points = ListMountPoints();
  if (!points.ok()) return points.status();
  std::vector<std::string> under;
  for (const std::string& p : *points) {
    if (p == root || absl::StartsWith(p, absl::StrCat(root, "/"))) {
      under.push_back(p);
    }
  }
  // Later mounts may stack on earlier ones or sit below them: undo them in
  // reverse order, then the deepest path first.
  std::reverse(under.begin(), under.end());
  std::stable_sort(under.begin(), under.end(),
                   [](const std::string& a, const std::string& b) {
                     return a.size() > b.size();
                   });
  absl::Status first_error;
  for (const std::string& p : under) {
    absl::Status s = ops.Unmount(p, MNT_DETACH);
    // EINVAL: already gone with an earlier lazy unmount of a parent.
    if (!s.ok() && !absl::IsInvalidArgument(s) && first_error.ok()) {
      first_error = s;
    }
  }
  return first_error;
}

}  // namespace berth
