#include "services/shim/held_io.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "services/shim/pty.h"
#include "services/shim/shim_util.h"

namespace berth::shim {
namespace {

std::string ReadSome(int fd) {
  char buf[256];
  ssize_t n = read(fd, buf, sizeof(buf));
  return n > 0 ? std::string(buf, n) : std::string();
}

TEST(HeldIoTest, StdinQueuedBeforeTheProcessExistsIsDelivered) {
  HeldIo io;
  io.ExpectStdin();
  io.QueueStdin("early ");
  UniqueFd read_end, write_end;
  ASSERT_TRUE(MakePipe(&read_end, &write_end).ok());
  io.SetStdin(std::move(write_end));
  io.QueueStdin("late");
  EXPECT_EQ(ReadSome(read_end.get()), "early late");
}

TEST(HeldIoTest, WithoutStdinDataIsDropped) {
  HeldIo io;
  io.QueueStdin("nobody");
  EXPECT_FALSE(io.stdin_pending());
  EXPECT_FALSE(io.stdin_full());
}

TEST(HeldIoTest, CloseStdinAfterTheQueueIsOut) {
  HeldIo io;
  io.ExpectStdin();
  io.QueueStdin("last words");
  io.CloseStdin();  // before the process exists
  UniqueFd read_end, write_end;
  ASSERT_TRUE(MakePipe(&read_end, &write_end).ok());
  io.SetStdin(std::move(write_end));
  EXPECT_EQ(ReadSome(read_end.get()), "last words");
  EXPECT_EQ(ReadSome(read_end.get()), "");  // EOF: the shim's end closed
  io.QueueStdin("ignored");
  EXPECT_FALSE(io.stdin_pending());
}

TEST(HeldIoTest, AFullPipeKeepsTheRestQueued) {
  // As in the shim, which blocks it: a closed reader is EPIPE.
  signal(SIGPIPE, SIG_IGN);
  HeldIo io;
  UniqueFd read_end, write_end;
  ASSERT_TRUE(MakePipe(&read_end, &write_end).ok());
  io.SetStdin(std::move(write_end));
  std::string big(1 << 20, 'x');
  io.QueueStdin(big);
  EXPECT_TRUE(io.stdin_pending());
  // The reader going away drops what is left.
  read_end.reset();
  io.FlushStdin();
  EXPECT_FALSE(io.stdin_pending());
}

TEST(HeldIoTest, OutputEndsAtEof) {
  HeldIo io;
  UniqueFd read_end, write_end;
  ASSERT_TRUE(MakePipe(&read_end, &write_end).ok());
  io.SetOutput(1, std::move(read_end));
  char buf[16];
  EXPECT_EQ(io.ReadOutput(1, buf, sizeof(buf)), -1);  // nothing yet
  ASSERT_EQ(write(write_end.get(), "out", 3), 3);
  EXPECT_EQ(io.ReadOutput(1, buf, sizeof(buf)), 3);
  EXPECT_TRUE(io.output_open());
  write_end.reset();
  EXPECT_EQ(io.ReadOutput(1, buf, sizeof(buf)), 0);
  EXPECT_FALSE(io.output_open());
}

TEST(HeldIoTest, APtyIsOutputAndStdinAndCannotBeHalfClosed) {
  absl::StatusOr<Pty> pty = OpenPty();
  ASSERT_TRUE(pty.ok()) << pty.status();
  HeldIo io;
  io.AdoptPty(std::move(pty->master), /*with_stdin=*/true);
  EXPECT_TRUE(io.tty());
  EXPECT_GE(io.output_fd(1), 0);
  EXPECT_LT(io.output_fd(2), 0);
  io.CloseStdin();
  EXPECT_GE(io.stdin_fd(), 0);
  // Raw mode on the slave, so that what goes in comes out unchanged.
  termios raw;
  ASSERT_EQ(tcgetattr(pty->slave.get(), &raw), 0);
  cfmakeraw(&raw);
  ASSERT_EQ(tcsetattr(pty->slave.get(), TCSANOW, &raw), 0);
  io.QueueStdin("typed");
  EXPECT_EQ(ReadSome(pty->slave.get()), "typed");
  ASSERT_EQ(write(pty->slave.get(), "shown", 5), 5);
  char buf[16];
  ssize_t n = -1;
  for (int i = 0; i < 100 && n < 0; ++i) {
    n = io.ReadOutput(1, buf, sizeof(buf));
    if (n < 0) usleep(1000);
  }
  ASSERT_EQ(n, 5);
  EXPECT_EQ(std::string(buf, n), "shown");
  pty->slave.reset();
  // EIO from the master once the last slave closed: the end.
  EXPECT_EQ(io.ReadOutput(1, buf, sizeof(buf)), 0);
  EXPECT_FALSE(io.output_open());
}

}  // namespace
}  // namespace berth::shim
