#include "services/daemon/archive/test_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "services/daemon/archive/test_tar.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

}  // namespace

std::vector<std::string> ListXattrs(const std::string& path) {
  std::vector<std::string> out;
  char names[4096];
  ssize_t n = llistxattr(path.c_str(), names, sizeof(names));
  for (ssize_t pos = 0; pos < n;) {
    std::string name(names + pos);
    pos += name.size() + 1;
    char value[4096];
    ssize_t len = lgetxattr(path.c_str(), name.c_str(), value, sizeof(value));
    out.push_back(name + "=" + std::string(value, std::max<ssize_t>(len, 0)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void WriteFileOrDie(const std::string& path, const std::string& data,
                    mode_t mode) {
  fs::create_directories(fs::path(path).parent_path());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    CHECK(out) << "cannot create " << path;
    out << data;
  }
  CHECK_EQ(chmod(path.c_str(), mode), 0) << path;
}

void MkdirOrDie(const std::string& path, mode_t mode) {
  fs::create_directories(fs::path(path).parent_path());
  CHECK(mkdir(path.c_str(), mode) == 0 || errno == EEXIST) << path;
  CHECK_EQ(chmod(path.c_str(), mode), 0) << path;
}

void SymlinkOrDie(const std::string& target, const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  CHECK_EQ(symlink(target.c_str(), path.c_str()), 0) << path;
}

void WhiteoutOrDie(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  CHECK_EQ(mknod(path.c_str(), S_IFCHR, makedev(0, 0)), 0)
      << path << ": " << strerror(errno);
}

void SetXattrOrDie(const std::string& path, const std::string& name,
                   const std::string& value) {
  CHECK_EQ(lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0),
           0)
      << path << " " << name << ": " << strerror(errno);
}

void SetMtimeOrDie(const std::string& path, time_t mtime) {
  struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
  CHECK_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0)
      << path;
}

std::map<std::string, std::string> DescribeTree(const std::string& root) {
  std::map<std::string, std::string> out;
  std::map<std::pair<dev_t, ino_t>, std::string> inodes;
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root);
       it != fs::recursive_directory_iterator(); ++it) {
    // Lexically: fs::relative would resolve the symlinks being described.
    paths.push_back(it->path().lexically_relative(root).string());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& rel : paths) {
    std::string path = root + "/" + rel;
    struct stat st;
    CHECK_EQ(lstat(path.c_str(), &st), 0) << path;
    std::string d = absl::StrCat("mode=", absl::Hex(st.st_mode),
                                 " owner=", st.st_uid, ":", st.st_gid);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, inserted] = inodes.try_emplace({st.st_dev, st.st_ino}, rel);
      if (!inserted) absl::StrAppend(&d, " link=", it->second);
    }
    if (!S_ISLNK(st.st_mode)) absl::StrAppend(&d, " mtime=", st.st_mtim.tv_sec);
    if (S_ISREG(st.st_mode)) {
      absl::StrAppend(&d, " data=", Sha256Hex(ReadFileOrDie(path)));
    }
    if (S_ISLNK(st.st_mode)) {
      absl::StrAppend(&d, " target=", fs::read_symlink(path).string());
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      absl::StrAppend(&d, " rdev=", major(st.st_rdev), ":", minor(st.st_rdev));
    }
    for (const std::string& x : ListXattrs(path)) absl::StrAppend(&d, " ", x);
    out[rel] = d;
  }
  return out;
}

std::vector<std::string> ChangeLines(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const Change& change : changes) {
    out.push_back(
        absl::StrCat(ChangeKindLetter(change.kind), " ", change.path));
  }
  return out;
}

OverlayMount::OverlayMount(const std::string& target,
                           const std::vector<std::string>& lowers,
                           const std::string& upper, const std::string& work)
    : target_(target) {
  fs::create_directories(target);
  std::string data = absl::StrCat("lowerdir=", absl::StrJoin(lowers, ":"));
  if (!upper.empty()) {
    absl::StrAppend(&data, ",upperdir=", upper, ",workdir=", work);
  }
  int flags = upper.empty() ? MS_RDONLY : 0;
  if (mount("overlay", target.c_str(), "overlay", flags, data.c_str()) != 0) {
    error_ = absl::StrCat("mount overlay ", data, ": ", strerror(errno));
    return;
  }
  mounted_ = true;
}

OverlayMount::~OverlayMount() {
  if (mounted_) umount2(target_.c_str(), MNT_DETACH);
}

}  // namespace berth::testing
