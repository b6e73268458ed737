#include "services/daemon/graphdriver/vfs_driver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/graphdriver/fs_util.h"

namespace berth {
namespace {

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path << ": " << strerror(errno);
  return st;
}

std::string Xattr(const std::string& path, const std::string& name) {
  char buf[256];
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), buf, sizeof(buf));
  return n < 0 ? "<none>" : std::string(buf, n);
}

void SetTimes(const std::string& path, time_t atime, time_t mtime) {
  struct timespec times[2] = {{atime, 111}, {mtime, 222}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0)
      << path;
}

// Compares the metadata CopyTree promises to keep for `rel` in both trees.
// Reading the source moves its atime, so `b`'s is checked against the one
// the test set.
void ExpectSameMetadata(const std::string& a_root, const std::string& b_root,
                        const std::string& rel, time_t atime) {
  SCOPED_TRACE(rel);
  std::string a = a_root + rel, b = b_root + rel;
  struct stat sa = Lstat(a), sb = Lstat(b);
  EXPECT_EQ(sa.st_mode, sb.st_mode);
  EXPECT_EQ(sa.st_uid, sb.st_uid);
  EXPECT_EQ(sa.st_gid, sb.st_gid);
  EXPECT_EQ(sa.st_size, sb.st_size);
  EXPECT_EQ(sa.st_rdev, sb.st_rdev);
  EXPECT_EQ(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
  EXPECT_EQ(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
  EXPECT_EQ(sb.st_atim.tv_sec, atime);
  EXPECT_NE(sa.st_ino, sb.st_ino) << "not a copy";
}

void ExpectSameContent(const std::string& a_root, const std::string& b_root,
                       const std::string& rel) {
  SCOPED_TRACE(rel);
  std::string a = a_root + rel, b = b_root + rel;
  struct stat sa = Lstat(a);
  if (S_ISREG(sa.st_mode)) {
    EXPECT_EQ(ReadFile(a).value_or("a?"), ReadFile(b).value_or("b?"));
  }
  if (S_ISLNK(sa.st_mode)) {
    char ta[256] = {}, tb[256] = {};
    EXPECT_GT(readlink(a.c_str(), ta, sizeof(ta)), 0);
    EXPECT_GT(readlink(b.c_str(), tb, sizeof(tb)), 0);
    EXPECT_STREQ(ta, tb);
  }
}

class VfsDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto driver = VfsDriver::New(tmp_.Join("graph"));
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
  }

  berth::testing::TempDir tmp_;
  std::unique_ptr<VfsDriver> driver_;
};

TEST_F(VfsDriverTest, CreateCopiesTheParentFaithfully) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for owners and devices";
  ASSERT_TRUE(driver_->Create("base", "").ok());
  const std::string base = driver_->DiffDir("base");
  EXPECT_EQ(base, tmp_.Join("graph/vfs/dir/base"));

  auto write = [&](const std::string& rel, const std::string& data) {
    ASSERT_TRUE(WriteFileAtomic(base + rel, data).ok()) << rel;
  };
  ASSERT_EQ(mkdir((base + "/etc").c_str(), 0755), 0);
  write("/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  ASSERT_EQ(mkdir((base + "/bin").c_str(), 0755), 0);
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  write("/bin/su", big);
  ASSERT_EQ(chmod((base + "/bin/su").c_str(), 04755), 0);
  write("/bin/wall", "w");
  ASSERT_EQ(chown((base + "/bin/wall").c_str(), 0, 5), 0);
  ASSERT_EQ(chmod((base + "/bin/wall").c_str(), 02711), 0);
  write("/empty", "");
  ASSERT_EQ(mkdir((base + "/tmp").c_str(), 0700), 0);
  ASSERT_EQ(chmod((base + "/tmp").c_str(), 01777), 0);
  ASSERT_EQ(mkdir((base + "/home").c_str(), 0750), 0);
  ASSERT_EQ(chown((base + "/home").c_str(), 1234, 5678), 0);
  write("/home/notes", "mine");
  ASSERT_EQ(chown((base + "/home/notes").c_str(), 1234, 5678), 0);
  ASSERT_EQ(chmod((base + "/home/notes").c_str(), 0600), 0);
  // Symlinks, one dangling and one owned by a user.
  ASSERT_EQ(symlink("../etc/passwd", (base + "/bin/pw").c_str()), 0);
  ASSERT_EQ(symlink("/nowhere", (base + "/dangling").c_str()), 0);
  ASSERT_EQ(lchown((base + "/dangling").c_str(), 1000, 1001), 0);
  // Hardlinks, across dirs.
  ASSERT_EQ(link((base + "/bin/su").c_str(), (base + "/bin/su2").c_str()), 0);
  ASSERT_EQ(link((base + "/bin/su").c_str(), (base + "/etc/su3").c_str()), 0);
  // Devices and a fifo, and a hardlinked fifo.
  ASSERT_EQ(mkfifo((base + "/fifo").c_str(), 0620), 0);
  ASSERT_EQ(link((base + "/fifo").c_str(), (base + "/fifo2").c_str()), 0);
  ASSERT_EQ(mknod((base + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(mknod((base + "/loop").c_str(), S_IFBLK | 0660, makedev(7, 0)), 0);
  ASSERT_EQ(mknod((base + "/wh").c_str(), S_IFCHR, makedev(0, 0)), 0);
  // xattrs on a file and a dir.
  ASSERT_EQ(lsetxattr((base + "/etc/passwd").c_str(), "user.test", "v1", 2, 0),
            0);
  ASSERT_EQ(lsetxattr((base + "/etc").c_str(), "user.dir", "v2", 2, 0), 0);
  ASSERT_EQ(
      lsetxattr((base + "/home").c_str(), "trusted.overlay.opaque", "y", 1, 0),
      0);
  // Times last, deepest first, so creating entries does not change them.
  const char* all[] = {"/etc/passwd", "/bin/su", "/bin/wall", "/bin/pw",
                       "/home/notes", "/empty",  "/dangling", "/fifo",
                       "/null",       "/loop",   "/wh",       "/etc",
                       "/bin",        "/tmp",    "/home",     ""};
  std::map<std::string, time_t> atimes;
  time_t t = 1000000000;
  for (const char* rel : all) {
    t += 100;
    atimes[rel] = t - 50;
    SetTimes(base + rel, t - 50, t);
  }
  // Other names of the same inodes.
  const char* aliases[][2] = {
      {"/bin/su2", "/bin/su"}, {"/etc/su3", "/bin/su"}, {"/fifo2", "/fifo"}};
  for (const auto& alias : aliases) atimes[alias[0]] = atimes[alias[1]];

  absl::Status status = driver_->Create("child", "base");
  ASSERT_TRUE(status.ok()) << status;
  const std::string child = driver_->DiffDir("child");
  // All metadata before any read moves an atime.
  for (const auto& [rel, atime] : atimes) {
    ExpectSameMetadata(base, child, rel, atime);
  }
  for (const auto& [rel, atime] : atimes) ExpectSameContent(base, child, rel);

  // Hardlinks are shared within the copy, not with the parent.
  EXPECT_EQ(Lstat(child + "/bin/su").st_ino, Lstat(child + "/bin/su2").st_ino);
  EXPECT_EQ(Lstat(child + "/bin/su").st_ino, Lstat(child + "/etc/su3").st_ino);
  EXPECT_EQ(Lstat(child + "/bin/su").st_nlink, 3u);
  EXPECT_EQ(Lstat(child + "/fifo").st_ino, Lstat(child + "/fifo2").st_ino);
  EXPECT_TRUE(S_ISFIFO(Lstat(child + "/fifo").st_mode));
  EXPECT_EQ(Lstat(child + "/bin/su").st_mode & 07777, 04755u);
  EXPECT_EQ(Lstat(child + "/bin/wall").st_mode & 07777, 02711u);
  EXPECT_EQ(Lstat(child + "/tmp").st_mode & 07777, 01777u);
  EXPECT_EQ(Xattr(child + "/etc/passwd", "user.test"), "v1");
  EXPECT_EQ(Xattr(child + "/etc", "user.dir"), "v2");
  EXPECT_EQ(Xattr(child + "/home", "trusted.overlay.opaque"), "y");

  // The copy is independent of its parent.
  ASSERT_TRUE(WriteFileAtomic(child + "/etc/passwd", "changed").ok());
  EXPECT_EQ(ReadFile(base + "/etc/passwd").value_or(""),
            "root:x:0:0::/root:/bin/sh\n");
  EXPECT_FALSE(driver_->Exists("grandchild"));
  ASSERT_TRUE(driver_->Create("grandchild", "child").ok());
  EXPECT_EQ(
      ReadFile(driver_->DiffDir("grandchild") + "/etc/passwd").value_or(""),
      "changed");
}

TEST_F(VfsDriverTest, GetPutAndRemove) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  ASSERT_TRUE(WriteFileAtomic(driver_->DiffDir("base") + "/f", "x").ok());
  ASSERT_EQ(mkdir((driver_->DiffDir("base") + "/ro").c_str(), 0555), 0);
  ASSERT_TRUE(driver_->Create("child", "base").ok());
  absl::StatusOr<std::string> view = driver_->Get("child");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(*view, driver_->DiffDir("child"));
  EXPECT_TRUE(driver_->Put("child").ok());

  ASSERT_TRUE(driver_->Remove("child").ok());
  EXPECT_FALSE(driver_->Exists("child"));
  struct stat st;
  EXPECT_NE(lstat(driver_->DiffDir("child").c_str(), &st), 0);
  EXPECT_TRUE(driver_->Remove("child").ok()) << "missing layer: OK";
  EXPECT_TRUE(driver_->Exists("base"));
  EXPECT_TRUE(absl::IsNotFound(driver_->Get("child").status()));
  EXPECT_TRUE(absl::IsNotFound(driver_->Put("child")));
}

TEST_F(VfsDriverTest, CreateErrors) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(driver_->Create("base", "")));
  ASSERT_TRUE(driver_->Create("child", "base").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(driver_->Create("child", "base")));
  absl::Status missing = driver_->Create("orphan", "nope");
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_THAT(std::string(missing.message()), ::testing::HasSubstr("nope"));
  EXPECT_TRUE(absl::IsInvalidArgument(driver_->Create("../escape", "")));
  EXPECT_TRUE(absl::IsInvalidArgument(driver_->Create("..", "")));
  EXPECT_FALSE(driver_->Exists("orphan"));
}

TEST_F(VfsDriverTest, NewDriverClearsInterruptedCopies) {
  ASSERT_TRUE(MakeDirs(tmp_.Join("graph/vfs/tmp/half/x")).ok());
  auto driver = VfsDriver::New(tmp_.Join("graph"));
  ASSERT_TRUE(driver.ok()) << driver.status();
  struct stat st;
  EXPECT_NE(lstat(tmp_.Join("graph/vfs/tmp/half").c_str(), &st), 0);
}

TEST_F(VfsDriverTest, NameFormatStatus) {
  EXPECT_EQ(driver_->Name(), "vfs");
  EXPECT_EQ(driver_->Format(), LayerFormat::kFullCopy);
  auto rows = driver_->Status();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].first, "Backing Filesystem");
}

TEST(FsUtilTest, BackingFsAndDType) {
  berth::testing::TempDir tmp;
  absl::StatusOr<std::string> fs = BackingFsName(tmp.path());
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_FALSE(fs->empty());
  absl::StatusOr<bool> d_type = SupportsDType(tmp.path());
  ASSERT_TRUE(d_type.ok()) << d_type.status();
  struct stat st;
  EXPECT_EQ(stat(tmp.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u) << "scratch dir left behind";
  EXPECT_TRUE(absl::IsNotFound(BackingFsName(tmp.Join("nope")).status()));
}

TEST(FsUtilTest, CopyTreeRefusesAnExistingDestination) {
  berth::testing::TempDir tmp;
  ASSERT_TRUE(MakeDirs(tmp.Join("a")).ok());
  ASSERT_TRUE(MakeDirs(tmp.Join("b")).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(CopyTree(tmp.Join("a"), tmp.Join("b"))));
  EXPECT_TRUE(absl::IsNotFound(CopyTree(tmp.Join("x"), tmp.Join("y"))));
}

}  // namespace
}  // namespace berth
