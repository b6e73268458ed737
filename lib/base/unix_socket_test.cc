#include "lib/base/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <string>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"

namespace berth {
namespace {

void RoundTrip(const std::string& path) {
  absl::StatusOr<UniqueFd> server = ListenUnix(path, 0660);
  ASSERT_TRUE(server.ok()) << server.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660);
  absl::StatusOr<UniqueFd> client = ConnectUnix(path);
  ASSERT_TRUE(client.ok()) << client.status();
  UniqueFd accepted(accept(server->get(), nullptr, nullptr));
  ASSERT_TRUE(accepted.valid());
  ASSERT_EQ(write(client->get(), "hi", 2), 2);
  char buf[2];
  ASSERT_EQ(read(accepted.get(), buf, 2), 2);
  EXPECT_EQ(std::string(buf, 2), "hi");
}

TEST(UnixSocketTest, ShortPath) {
  testing::TempDir dir;
  RoundTrip(dir.Join("s.sock"));
}

TEST(UnixSocketTest, PathLongerThanSockaddr) {
  testing::TempDir dir;
  std::string deep = dir.path() + "/" + std::string(60, 'a');
  ASSERT_EQ(mkdir(deep.c_str(), 0700), 0);
  deep += "/" + std::string(60, 'b');
  ASSERT_EQ(mkdir(deep.c_str(), 0700), 0);
  RoundTrip(deep + "/attach.sock");
}

TEST(UnixSocketTest, NobodyListening) {
  testing::TempDir dir;
  absl::StatusOr<UniqueFd> client = ConnectUnix(dir.Join("none.sock"));
  EXPECT_EQ(client.status().code(), absl::StatusCode::kNotFound);
  {
    absl::StatusOr<UniqueFd> server = ListenUnix(dir.Join("gone.sock"));
    ASSERT_TRUE(server.ok());
  }
  client = ConnectUnix(dir.Join("gone.sock"));
  EXPECT_EQ(client.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth
