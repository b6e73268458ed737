#include "services/shim/console_socket.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "lib/base/unix_socket.h"
#include "lib/testing/temp_dir.h"
#include "services/shim/pty.h"

namespace berth::shim {
namespace {

// As runc's utils.SendFd: the pty's name as data, the master as the fd.
void SendFd(int socket, int fd) {
  const char name[] = "/dev/ptmx";
  iovec iov = {const_cast<char*>(name), sizeof(name) - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
  ASSERT_EQ(sendmsg(socket, &msg, 0), static_cast<ssize_t>(iov.iov_len));
}

TEST(ConsoleSocketTest, ReceivesTheMasterAfterTheSenderLeft) {
  berth::testing::TempDir temp;
  std::string path = temp.Join("console.sock");
  absl::StatusOr<ConsoleSocket> console = ConsoleSocket::Listen(path);
  ASSERT_TRUE(console.ok()) << console.status();
  absl::StatusOr<Pty> pty = OpenPty();
  ASSERT_TRUE(pty.ok()) << pty.status();
  {
    absl::StatusOr<UniqueFd> conn = ConnectUnix(path);
    ASSERT_TRUE(conn.ok()) << conn.status();
    SendFd(conn->get(), pty->master.get());
  }
  absl::StatusOr<UniqueFd> master = console->ReceiveMaster(1000);
  ASSERT_TRUE(master.ok()) << master.status();
  struct stat got, want;
  ASSERT_EQ(fstat(master->get(), &got), 0);
  ASSERT_EQ(fstat(pty->master.get(), &want), 0);
  EXPECT_EQ(got.st_rdev, want.st_rdev);
  EXPECT_EQ(got.st_ino, want.st_ino);
  // Close-on-exec: it must not leak into what the shim starts next.
  EXPECT_TRUE(fcntl(master->get(), F_GETFD) & FD_CLOEXEC);
}

TEST(ConsoleSocketTest, NoConnectionTimesOutAndTheFileGoes) {
  berth::testing::TempDir temp;
  std::string path = temp.Join("console.sock");
  {
    absl::StatusOr<ConsoleSocket> console = ConsoleSocket::Listen(path);
    ASSERT_TRUE(console.ok()) << console.status();
    absl::StatusOr<UniqueFd> master = console->ReceiveMaster(10);
    EXPECT_EQ(master.status().code(), absl::StatusCode::kDeadlineExceeded);
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

TEST(ConsoleSocketTest, AMessageWithoutAnFdIsAnError) {
  berth::testing::TempDir temp;
  std::string path = temp.Join("console.sock");
  absl::StatusOr<ConsoleSocket> console = ConsoleSocket::Listen(path);
  ASSERT_TRUE(console.ok()) << console.status();
  absl::StatusOr<UniqueFd> conn = ConnectUnix(path);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_EQ(write(conn->get(), "x", 1), 1);
  absl::StatusOr<UniqueFd> master = console->ReceiveMaster(1000);
  EXPECT_EQ(master.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace berth::shim
