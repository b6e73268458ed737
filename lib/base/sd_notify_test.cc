#include "lib/base/sd_notify.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"

namespace berth {
namespace {

TEST(SdNotifyTest, NoSocketIsANoOp) {
  unsetenv("NOTIFY_SOCKET");
  absl::StatusOr<bool> sent = SdNotify("READY=1");
  ASSERT_TRUE(sent.ok());
  EXPECT_FALSE(*sent);
}

TEST(SdNotifyTest, SendsDatagram) {
  testing::TempDir tmp;
  std::string path = tmp.Join("notify");
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  absl::StatusOr<bool> sent = SdNotify("READY=1");
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_TRUE(*sent);
  char buf[64];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "READY=1");
  close(fd);
  unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace berth
