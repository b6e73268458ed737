#include "services/runtime/in_root.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"

namespace berth::runtime {
namespace {

class InRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.Join("root");
    outside_ = dir_.Join("outside");
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    root_fd_ = open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
  }
  void TearDown() override {
    if (root_fd_ >= 0) close(root_fd_);
  }
  static bool Exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
  }

  berth::testing::TempDir dir_;
  std::string root_;
  std::string outside_;
  int root_fd_ = -1;
};

TEST_F(InRootTest, MkdirAllCreatesNestedDirectories) {
  ASSERT_EQ(MkdirAllInRoot(root_fd_, "/a/b/c", 0755), 0);
  EXPECT_TRUE(Exists(root_ + "/a/b/c"));
  ASSERT_EQ(MkdirAllInRoot(root_fd_, "a/b/c", 0755), 0);  // idempotent
}

TEST_F(InRootTest, AbsoluteSymlinkStaysInside) {
  // An image's "evil -> /outside-path" must land inside the root.
  ASSERT_EQ(symlink(outside_.c_str(), (root_ + "/evil").c_str()), 0);
  ASSERT_EQ(MkdirAllInRoot(root_fd_, "/evil/x", 0755), 0);
  EXPECT_FALSE(Exists(outside_ + "/x"));
  EXPECT_TRUE(Exists(root_ + outside_ + "/x"));
}

TEST_F(InRootTest, DotDotSymlinkStaysInside) {
  ASSERT_EQ(symlink("../../../../outside", (root_ + "/up").c_str()), 0);
  ASSERT_EQ(CreateFileInRoot(root_fd_, "/up/file", 0644), 0);
  EXPECT_FALSE(Exists(outside_ + "/file"));
  EXPECT_TRUE(Exists(root_ + "/outside/file"));
}

TEST_F(InRootTest, CreateFileLeavesExistingAlone) {
  { std::ofstream(root_ + "/f") << "keep"; }
  ASSERT_EQ(CreateFileInRoot(root_fd_, "/f", 0644), 0);
  std::ifstream in(root_ + "/f");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "keep");
}

TEST_F(InRootTest, OpenInRootResolvesDotDotAtTheRoot) {
  { std::ofstream(root_ + "/etc-passwd") << "inside"; }
  int fd = OpenInRoot(root_fd_, "/../../../etc-passwd", O_RDONLY, 0);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(OpenInRoot(root_fd_, "/missing", O_RDONLY, 0), -ENOENT);
}

TEST_F(InRootTest, SymlinkInRootMakesParents) {
  ASSERT_EQ(SymlinkInRoot(root_fd_, "/proc/self/fd", "/dev/fd"), 0);
  char target[64] = {};
  ASSERT_GT(readlink((root_ + "/dev/fd").c_str(), target, sizeof(target)), 0);
  EXPECT_STREQ(target, "/proc/self/fd");
  EXPECT_EQ(SymlinkInRoot(root_fd_, "/other", "/dev/fd"), 0);  // left alone
}

TEST_F(InRootTest, ReadFileInRoot) {
  ASSERT_EQ(mkdir((root_ + "/etc").c_str(), 0755), 0);
  { std::ofstream(outside_ + "/secret") << "host"; }
  ASSERT_EQ(
      symlink((outside_ + "/secret").c_str(), (root_ + "/etc/link").c_str()),
      0);
  absl::StatusOr<std::string> text = ReadFileInRoot(root_, "/etc/link");
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth::runtime
