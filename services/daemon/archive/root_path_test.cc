#include "services/daemon/archive/root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/test_tree.h"

namespace berth::archive_internal {
namespace {

using ::berth::testing::MkdirOrDie;
using ::berth::testing::SymlinkOrDie;
using ::berth::testing::WriteFileOrDie;
using ::testing::HasSubstr;

ContainerPath Parse(absl::string_view path) {
  absl::StatusOr<ContainerPath> parsed = ParseContainerPath(path);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : ContainerPath();
}

TEST(ParseContainerPathTest, PlainPathNamesItsLastComponent) {
  ContainerPath p = Parse("/etc/passwd");
  EXPECT_EQ(p.clean, "/etc/passwd");
  EXPECT_EQ(p.base, "passwd");
  EXPECT_FALSE(p.follow_final);
}

TEST(ParseContainerPathTest, RelativePathIsFromTheRoot) {
  ContainerPath p = Parse("etc//./passwd");
  EXPECT_EQ(p.clean, "/etc/passwd");
  EXPECT_EQ(p.base, "passwd");
}

TEST(ParseContainerPathTest, TrailingSlashFollowsTheLastComponent) {
  ContainerPath p = Parse("/var/log/");
  EXPECT_EQ(p.clean, "/var/log");
  EXPECT_EQ(p.base, "log");
  EXPECT_TRUE(p.follow_final);
}

TEST(ParseContainerPathTest, TrailingDotNamesTheContents) {
  for (absl::string_view path : {"/var/log/.", "/var/log/./", "var/log/."}) {
    ContainerPath p = Parse(path);
    EXPECT_EQ(p.clean, "/var/log") << path;
    EXPECT_EQ(p.base, ".") << path;
    EXPECT_TRUE(p.follow_final) << path;
  }
  ContainerPath root = Parse("/.");
  EXPECT_EQ(root.clean, "/");
  EXPECT_EQ(root.base, ".");
}

TEST(ParseContainerPathTest, DotDotIsLexicalAndStopsAtTheRoot) {
  ContainerPath p = Parse("/a/b/../../../../etc/shadow");
  EXPECT_EQ(p.clean, "/etc/shadow");
  EXPECT_EQ(p.base, "shadow");
  ContainerPath up = Parse("a/..");
  EXPECT_EQ(up.clean, "/");
  EXPECT_EQ(up.base, "/");
}

TEST(ParseContainerPathTest, RootIsNamedSlash) {
  ContainerPath p = Parse("/");
  EXPECT_EQ(p.clean, "/");
  EXPECT_EQ(p.base, "/");
  EXPECT_TRUE(p.follow_final);
}

TEST(ParseContainerPathTest, EmptyPathIsInvalid) {
  EXPECT_EQ(ParseContainerPath("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseContainerPath(std::string("a\0b", 3)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CleanDirBaseTest, SplitsCleanPaths) {
  EXPECT_EQ(CleanDir("/a/b"), "/a");
  EXPECT_EQ(CleanDir("/a"), "/");
  EXPECT_EQ(CleanBase("/a/b"), "b");
  EXPECT_EQ(CleanBase("/"), "");
}

// A container root with hostile symlinks, next to a host file that must
// stay out of reach.
class RootPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.Join("root");
    WriteFileOrDie(tmp_.Join("secret"), "host secret");
    WriteFileOrDie(root_ + "/secret", "container secret");
    WriteFileOrDie(root_ + "/etc/passwd", "root:x:0:0\n");
    MkdirOrDie(root_ + "/usr/lib");
    SymlinkOrDie("/", root_ + "/etc/root");             // "/etc -> /" style
    SymlinkOrDie("../../../../..", root_ + "/up");      // climbs
    SymlinkOrDie(tmp_.Join("secret"), root_ + "/abs");  // a host path
    SymlinkOrDie("usr/lib", root_ + "/lib");
    SymlinkOrDie("/nowhere/file", root_ + "/dangling");
    SymlinkOrDie("loop2", root_ + "/loop1");
    SymlinkOrDie("loop1", root_ + "/loop2");
    fd_ = open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override { close(fd_); }

  // What `path` opens to, read as a file ("" if it cannot be opened).
  std::string ReadThrough(absl::string_view path, bool walk = false) {
    int fd = walk ? OpenInRootByWalk(fd_, path, O_RDONLY)
                  : OpenInRoot(fd_, path, O_RDONLY);
    if (fd < 0) return "";
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    return n < 0 ? "" : std::string(buf, n);
  }

  std::string Eval(absl::string_view path) {
    absl::StatusOr<std::string> resolved = EvalSymlinksInRoot(fd_, path);
    EXPECT_TRUE(resolved.ok()) << resolved.status();
    return resolved.ok() ? *resolved : "";
  }

  berth::testing::TempDir tmp_;
  std::string root_;
  int fd_ = -1;
};

TEST_F(RootPathTest, SymlinkToSlashStaysInTheRoot) {
  EXPECT_EQ(ReadThrough("/etc/root/secret"), "container secret");
  EXPECT_EQ(ReadThrough("/etc/root/etc/root/etc/passwd"), "root:x:0:0\n");
  EXPECT_EQ(Eval("/etc/root/secret"), "/secret");
}

TEST_F(RootPathTest, DotDotSymlinkStaysInTheRoot) {
  EXPECT_EQ(ReadThrough("/up/secret"), "container secret");
  EXPECT_EQ(ReadThrough("/../../../secret"), "container secret");
  EXPECT_EQ(Eval("/up/secret"), "/secret");
}

TEST_F(RootPathTest, AbsoluteSymlinkIsReadInsideTheRoot) {
  // The link names a host file; inside the root there is no such path.
  EXPECT_EQ(ReadThrough("/abs"), "");
  EXPECT_EQ(OpenInRoot(fd_, "/abs", O_RDONLY), -ENOENT);
  EXPECT_EQ(Eval("/abs"), tmp_.Join("secret"));
}

TEST_F(RootPathTest, WalkFallbackResolvesTheSame) {
  EXPECT_EQ(ReadThrough("/etc/root/secret", true), "container secret");
  EXPECT_EQ(ReadThrough("/up/secret", true), "container secret");
  EXPECT_EQ(ReadThrough("/abs", true), "");
  EXPECT_EQ(ReadThrough("/etc/passwd", true), "root:x:0:0\n");
  int fd = OpenInRootByWalk(fd_, "/lib", O_PATH | O_NOFOLLOW);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  close(fd);
}

TEST_F(RootPathTest, NoFollowOpensTheLinkItself) {
  int fd = OpenInRoot(fd_, "/lib", O_PATH | O_NOFOLLOW);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  close(fd);
}

TEST_F(RootPathTest, EvalKeepsWhatDoesNotExist) {
  EXPECT_EQ(Eval("/dangling"), "/nowhere/file");
  EXPECT_EQ(Eval("/lib/x/../y"), "/usr/lib/y");
  EXPECT_EQ(Eval("/"), "/");
}

TEST_F(RootPathTest, EvalRefusesLoops) {
  absl::StatusOr<std::string> resolved = EvalSymlinksInRoot(fd_, "/loop1");
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(resolved.status().message(), HasSubstr("symbolic links"));
}

TEST_F(RootPathTest, OpenBeneathRefusesEverySymlink) {
  EXPECT_EQ(OpenBeneath(fd_, "lib/x", O_PATH), -ELOOP);
  EXPECT_EQ(OpenBeneath(fd_, "etc/root", O_RDONLY), -ELOOP);
  int fd = OpenBeneath(fd_, "etc/passwd", O_RDONLY);
  EXPECT_GE(fd, 0);
  close(fd);
}

TEST(ContainerPathErrorTest, SaysWhatIsWrongWithThePath) {
  absl::Status missing = ContainerPathError(ENOENT, "/nope");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("/nope"));
  EXPECT_EQ(ContainerPathError(ENOTDIR, "/f/x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ContainerPathError(ELOOP, "/l").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OpenContainerRootTest, MissingRootIsInternalNotNotFound) {
  absl::StatusOr<UniqueFd> fd = OpenContainerRoot("/nonexistent/berth/root");
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace berth::archive_internal
