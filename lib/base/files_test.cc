#include "lib/base/files.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"

namespace berth {
namespace {

TEST(FilesTest, AtomicWriteReplacesAndReads) {
  testing::TempDir tmp;
  std::string path = tmp.Join("f");
  ASSERT_TRUE(WriteFileAtomic(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two", 0600).ok());
  EXPECT_EQ(*ReadFile(path), "two");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(FilesTest, TreeSizeCountsFilesAndLinksOnce) {
  testing::TempDir tmp;
  ASSERT_TRUE(MakeDirs(tmp.Join("d/e")).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("d/a"), std::string(1000, 'a')).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("d/e/b"), std::string(24, 'b')).ok());
  ASSERT_EQ(link(tmp.Join("d/a").c_str(), tmp.Join("d/hard").c_str()), 0);
  ASSERT_EQ(symlink("e/b", tmp.Join("d/soft").c_str()), 0);
  EXPECT_EQ(TreeSize(tmp.Join("d")), 1000 + 24 + 3);
  EXPECT_EQ(TreeSize(tmp.Join("missing")), 0);
}

TEST(FilesTest, ReadMissingIsNotFound) {
  testing::TempDir tmp;
  EXPECT_EQ(ReadFile(tmp.Join("missing")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FilesTest, AtomicWriteIntoMissingDirFailsCleanly) {
  testing::TempDir tmp;
  absl::Status status = WriteFileAtomic(tmp.Join("no/such/f"), "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
}

TEST(FilesTest, MakeDirsCreatesChain) {
  testing::TempDir tmp;
  std::string path = tmp.Join("a/b/c");
  ASSERT_TRUE(MakeDirs(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(MakeDirs(path).ok());
}

}  // namespace
}  // namespace berth
