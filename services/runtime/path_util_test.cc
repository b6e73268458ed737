#include "services/runtime/path_util.h"

#include "gtest/gtest.h"

namespace berth::runtime {
namespace {

TEST(PathUtilTest, CleanPath) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("//a//b/"), "/a/b");
  EXPECT_EQ(CleanPath("/a/./b/../c"), "/a/c");
  EXPECT_EQ(CleanPath("/../../a"), "/a");
  EXPECT_EQ(CleanPath("a/../../b"), "../b");
  EXPECT_EQ(CleanPath("./"), ".");
}

TEST(PathUtilTest, JoinUnderCannotClimbOut) {
  EXPECT_EQ(JoinUnder("/root", "a/b"), "/root/a/b");
  EXPECT_EQ(JoinUnder("/root", "/a/b"), "/root/a/b");
  EXPECT_EQ(JoinUnder("/root", "../../etc"), "/root/etc");
  EXPECT_EQ(JoinUnder("/root/", "/"), "/root");
}

}  // namespace
}  // namespace berth::runtime
