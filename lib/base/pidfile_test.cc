#include "lib/base/pidfile.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"

namespace berth {
namespace {

TEST(PidfileTest, WritesOwnPidAndRemovesOnDestruction) {
  testing::TempDir tmp;
  std::string path = tmp.Join("run/berthd.pid");
  {
    absl::StatusOr<Pidfile> pidfile = Pidfile::Create(path);
    ASSERT_TRUE(pidfile.ok()) << pidfile.status();
    EXPECT_EQ(*ReadFile(path), std::to_string(getpid()) + "\n");
  }
  EXPECT_FALSE(ReadFile(path).ok());
}

TEST(PidfileTest, RefusesLiveProcess) {
  testing::TempDir tmp;
  std::string path = tmp.Join("run/berthd.pid");
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_TRUE(MakeDirs(path.substr(0, path.rfind('/'))).ok());
  ASSERT_TRUE(WriteFileAtomic(path, std::to_string(child)).ok());
  absl::StatusOr<Pidfile> pidfile = Pidfile::Create(path);
  EXPECT_EQ(pidfile.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(pidfile.status().message().find(path), std::string::npos);
  // The live owner's file is left alone.
  EXPECT_EQ(*ReadFile(path), std::to_string(child));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST(PidfileTest, ReplacesStalePid) {
  testing::TempDir tmp;
  std::string path = tmp.Join("run/berthd.pid");
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(MakeDirs(path.substr(0, path.rfind('/'))).ok());
  ASSERT_TRUE(WriteFileAtomic(path, std::to_string(child)).ok());
  absl::StatusOr<Pidfile> pidfile = Pidfile::Create(path);
  ASSERT_TRUE(pidfile.ok()) << pidfile.status();
  EXPECT_EQ(*ReadFile(path), std::to_string(getpid()) + "\n");
}

}  // namespace
}  // namespace berth
