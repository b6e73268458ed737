#include "gateway/http/hijacked_conn.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "gateway/http/fake_response_writer.h"
#include "gateway/http/request.h"
#include "gtest/gtest.h"

namespace berth::gateway {
namespace {

class SocketPair {
 public:
  SocketPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }
  ~SocketPair() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  // Hands the first end over to its new owner.
  int Release() { return std::exchange(fds_[0], -1); }
  void ClosePeer() { ::close(std::exchange(fds_[1], -1)); }
  int first() const { return fds_[0]; }
  int peer() const { return fds_[1]; }

 private:
  int fds_[2] = {-1, -1};
};

std::string ReadOnce(HijackedConn& conn, size_t n) {
  std::string buf(n, '\0');
  absl::StatusOr<size_t> got = conn.Read(buf.data(), n);
  EXPECT_TRUE(got.ok()) << got.status();
  buf.resize(got.value_or(0));
  return buf;
}

std::string ReadFd(int fd) {
  char buf[256];
  const ssize_t got = ::read(fd, buf, sizeof(buf));
  return got > 0 ? std::string(buf, got) : "";
}

TEST(SocketHijackedConnTest, BufferedBytesComeFirst) {
  SocketPair pair;
  std::unique_ptr<HijackedConn> conn =
      MakeSocketHijackedConn(pair.Release(), "pre", /*owns_fd=*/true);
  ASSERT_EQ(::write(pair.peer(), "post", 4), 4);
  EXPECT_TRUE(conn->HasBuffered());
  EXPECT_EQ(ReadOnce(*conn, 2), "pr");
  EXPECT_TRUE(conn->HasBuffered());
  EXPECT_EQ(ReadOnce(*conn, 100), "e");
  EXPECT_FALSE(conn->HasBuffered());
  EXPECT_EQ(ReadOnce(*conn, 100), "post");
}

TEST(SocketHijackedConnTest, CloseWriteIsAHalfClose) {
  SocketPair pair;
  std::unique_ptr<HijackedConn> conn =
      MakeSocketHijackedConn(pair.first(), "", /*owns_fd=*/false);
  ASSERT_TRUE(conn->WriteAll("out").ok());
  ASSERT_TRUE(conn->CloseWrite().ok());
  EXPECT_TRUE(conn->CloseWrite().ok());  // idempotent
  EXPECT_EQ(ReadFd(pair.peer()), "out");
  char byte;
  EXPECT_EQ(::read(pair.peer(), &byte, 1), 0);  // the peer sees EOF
  // The other direction still works.
  ASSERT_EQ(::write(pair.peer(), "in", 2), 2);
  EXPECT_EQ(ReadOnce(*conn, 100), "in");
  EXPECT_EQ(conn->WriteAll("late").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SocketHijackedConnTest, PeerEofReadsZero) {
  SocketPair pair;
  std::unique_ptr<HijackedConn> conn =
      MakeSocketHijackedConn(pair.first(), "", /*owns_fd=*/false);
  ASSERT_EQ(::shutdown(pair.peer(), SHUT_WR), 0);
  EXPECT_EQ(ReadOnce(*conn, 100), "");
  EXPECT_EQ(conn->fd(), pair.first());
}

TEST(SocketHijackedConnTest, WriteAllWritesEverything) {
  SocketPair pair;
  std::unique_ptr<HijackedConn> conn =
      MakeSocketHijackedConn(pair.first(), "", /*owns_fd=*/false);
  // Far more than the socket buffer: WriteAll must loop over short writes.
  std::string data(4 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::string received;
  std::thread reader([&] {
    char buf[65536];
    while (true) {
      const ssize_t got = ::read(pair.peer(), buf, sizeof(buf));
      if (got <= 0) return;
      received.append(buf, got);
    }
  });
  EXPECT_TRUE(conn->WriteAll(data).ok());
  ASSERT_TRUE(conn->CloseWrite().ok());
  reader.join();
  EXPECT_TRUE(received == data);
}

TEST(SocketHijackedConnTest, WriteToVanishedPeerFails) {
  SocketPair pair;
  std::unique_ptr<HijackedConn> conn =
      MakeSocketHijackedConn(pair.first(), "", /*owns_fd=*/false);
  pair.ClosePeer();
  // EPIPE, not a SIGPIPE that would kill the test.
  EXPECT_EQ(conn->WriteAll("x").code(), absl::StatusCode::kUnavailable);
}

TEST(FakeResponseWriterTest, HijackHandsOverASocketpair) {
  FakeResponseWriter w;
  w.hijack_buffered = "early";
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      w.Hijack(101, {{"Upgrade", "tcp"}});
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE(w.hijacked);
  EXPECT_TRUE(w.responded());
  EXPECT_EQ(w.status, 101);
  EXPECT_EQ(w.Header("upgrade"), "tcp");
  EXPECT_EQ(ReadOnce(**conn, 100), "early");
  ASSERT_EQ(::write(w.hijack_client_fd(), "stdin", 5), 5);
  EXPECT_EQ(ReadOnce(**conn, 100), "stdin");
  ASSERT_TRUE((*conn)->WriteAll("stdout").ok());
  EXPECT_EQ(ReadFd(w.hijack_client_fd()), "stdout");
  EXPECT_EQ(w.Hijack(101, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FakeResponseWriterTest, HijackAfterSendFails) {
  FakeResponseWriter w;
  w.Send(200, {}, "");
  EXPECT_EQ(w.Hijack(101, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(w.hijack_client_fd(), -1);
}

Request WithVersion(const std::string& version, bool upgrade) {
  Request req;
  req.effective_api_version = version;
  if (upgrade) {
    req.headers = {{"Connection", "Upgrade"}, {"Upgrade", "tcp"}};
  }
  return req;
}

TEST(DockerHijackResponseTest, UpgradeGets101) {
  HijackResponse res = DockerHijackResponse(WithVersion("1.47", true), true);
  EXPECT_EQ(res.status, 101);
  EXPECT_EQ(
      res.headers,
      (Headers{{"Content-Type", "application/vnd.docker.multiplexed-stream"},
               {"Connection", "Upgrade"},
               {"Upgrade", "tcp"}}));
}

TEST(DockerHijackResponseTest, TtyAndOldVersionsAreRaw) {
  EXPECT_EQ(
      DockerHijackResponse(WithVersion("1.47", true), false).headers[0].second,
      kRawStreamType);
  EXPECT_EQ(
      DockerHijackResponse(WithVersion("1.41", true), true).headers[0].second,
      kRawStreamType);
  EXPECT_EQ(
      DockerHijackResponse(WithVersion("1.42", true), true).headers[0].second,
      kMultiplexedStreamType);
}

TEST(DockerHijackResponseTest, NoUpgradeGets200Raw) {
  HijackResponse res = DockerHijackResponse(WithVersion("1.47", false), true);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.headers,
            (Headers{{"Content-Type", "application/vnd.docker.raw-stream"}}));
}

}  // namespace
}  // namespace berth::gateway
