#include "gateway/http/splice.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/http/hijacked_conn.h"
#include "gtest/gtest.h"

namespace berth::gateway {
namespace {

// Reads what arrives within `timeout`: data, "" at EOF, or nullopt if
// nothing came (so a broken splice fails the test instead of hanging it).
std::optional<std::string> ReadWithin(
    int fd, absl::Duration timeout = absl::Seconds(10)) {
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, absl::ToInt64Milliseconds(timeout)) != 1) {
    return std::nullopt;
  }
  char buf[65536];
  const ssize_t got = ::read(fd, buf, sizeof(buf));
  if (got < 0) return std::nullopt;
  return std::string(buf, got);
}

// Reads until `n` bytes came (or EOF or a timeout).
std::string ReadN(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    std::optional<std::string> got = ReadWithin(fd);
    if (!got.has_value() || got->empty()) break;
    out += *got;
  }
  return out;
}

void WriteFd(int fd, const std::string& data) {
  ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(data.size()));
}

// The client's connection and the backend as two socketpairs: the splice
// gets one end of each, the test plays client and container on the others.
class SpliceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, client_), 0);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, backend_),
              0);
  }

  void TearDown() override {
    if (thread_.joinable()) {
      // Unblock a splice a failed test left running.
      ::shutdown(client_[0], SHUT_RDWR);
      ::shutdown(backend_[0], SHUT_RDWR);
      thread_.join();
    }
    for (int fd : {client_[0], client_[1], backend_[0], backend_[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }

  void Start(std::string buffered = "", SpliceOptions options = {}) {
    conn_ = MakeSocketHijackedConn(client_[0], std::move(buffered),
                                   /*owns_fd=*/false);
    thread_ = std::thread([this, options] {
      status_ = Splice(*conn_, backend_[0], options);
      done_.Notify();
    });
  }

  // The splice's result, or DeadlineExceeded if it is still running.
  absl::Status Result(absl::Duration timeout = absl::Seconds(10)) {
    if (!done_.WaitForNotificationWithTimeout(timeout)) {
      return absl::DeadlineExceededError("splice still running");
    }
    thread_.join();
    return status_;
  }

  int client() const { return client_[1]; }
  int backend() const { return backend_[1]; }

  int client_[2] = {-1, -1};
  int backend_[2] = {-1, -1};
  std::unique_ptr<HijackedConn> conn_;
  std::thread thread_;
  absl::Notification done_;
  absl::Status status_;
};

TEST_F(SpliceTest, BothWaysThenHalfClosesInOrder) {
  Start();
  WriteFd(client(), "stdin");
  EXPECT_EQ(ReadWithin(backend()), "stdin");
  WriteFd(backend(), "stdout");
  EXPECT_EQ(ReadWithin(client()), "stdout");

  // The client's half-close reaches the backend as EOF...
  ASSERT_EQ(::shutdown(client(), SHUT_WR), 0);
  EXPECT_EQ(ReadWithin(backend()), "");
  // ...while the output keeps flowing.
  WriteFd(backend(), "after stdin ended");
  EXPECT_EQ(ReadWithin(client()), "after stdin ended");
  EXPECT_FALSE(done_.HasBeenNotified());

  // The backend's end is the client's EOF, and the end of the splice.
  ASSERT_EQ(::shutdown(backend(), SHUT_WR), 0);
  EXPECT_EQ(ReadWithin(client()), "");
  EXPECT_TRUE(Result().ok()) << status_;
}

TEST_F(SpliceTest, BufferedBytesAreForwardedWithoutClientTraffic) {
  // Nothing more ever arrives on the client socket: a splice that polled
  // before draining the buffer would wait forever.
  Start("sent with the request");
  EXPECT_EQ(ReadWithin(backend()), "sent with the request");
  ::close(backend_[1]);
  backend_[1] = -1;
  EXPECT_TRUE(Result().ok()) << status_;
}

TEST_F(SpliceTest, ClientEofAfterBufferedBytesStillForwardsThem) {
  Start("last words");
  ASSERT_EQ(::shutdown(client(), SHUT_WR), 0);
  EXPECT_EQ(ReadN(backend(), 10), "last words");
  EXPECT_EQ(ReadWithin(backend()), "");
  ASSERT_EQ(::shutdown(backend(), SHUT_WR), 0);
  EXPECT_TRUE(Result().ok()) << status_;
}

TEST_F(SpliceTest, CloseOnClientEofEndsAtOnce) {
  Start("", SpliceOptions{.close_on_client_eof = true});
  ASSERT_EQ(::shutdown(client(), SHUT_WR), 0);
  // The backend stays silent: only the client's EOF can end this.
  EXPECT_TRUE(Result().ok()) << status_;
}

TEST_F(SpliceTest, ClientThatVanishesEndsIt) {
  Start();
  WriteFd(backend(), "hello");
  EXPECT_EQ(ReadWithin(client()), "hello");
  ::close(client_[1]);
  client_[1] = -1;
  EXPECT_EQ(Result().code(), absl::StatusCode::kUnavailable) << status_;
}

TEST_F(SpliceTest, ServerShutdownEndsIt) {
  Start();
  WriteFd(client(), "x");
  EXPECT_EQ(ReadWithin(backend()), "x");
  // What Server::Stop() does to live connections.
  ASSERT_EQ(::shutdown(client_[0], SHUT_RDWR), 0);
  EXPECT_EQ(Result().code(), absl::StatusCode::kUnavailable) << status_;
}

TEST_F(SpliceTest, BackendThatRefusesInputStillSendsOutput) {
  Start();
  ASSERT_EQ(::shutdown(backend(), SHUT_RD), 0);
  WriteFd(client(), "ignored");
  WriteFd(backend(), "output");
  EXPECT_EQ(ReadWithin(client()), "output");
  WriteFd(client(), "ignored too");
  WriteFd(backend(), "more output");
  EXPECT_EQ(ReadWithin(client()), "more output");
  ASSERT_EQ(::shutdown(backend(), SHUT_WR), 0);
  EXPECT_EQ(ReadWithin(client()), "");
  EXPECT_TRUE(Result().ok()) << status_;
}

double CpuSeconds() {
  timespec ts;
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST_F(SpliceTest, IdleAfterClientEofDoesNotSpin) {
  Start();
  ASSERT_EQ(::shutdown(client(), SHUT_WR), 0);
  EXPECT_EQ(ReadWithin(backend()), "");
  // The client socket stays readable (at EOF) from now on; polling it for
  // input would spin a core.
  const double before = CpuSeconds();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_LT(CpuSeconds() - before, 0.1);
  ::close(backend_[1]);
  backend_[1] = -1;
  EXPECT_TRUE(Result().ok()) << status_;
}

TEST_F(SpliceTest, SignalsDoNotEndIt) {
  struct sigaction action = {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR
  struct sigaction old;
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &old), 0);
  Start();
  absl::SleepFor(absl::Milliseconds(20));
  for (int i = 0; i < 20; ++i) {
    ::pthread_kill(thread_.native_handle(), SIGUSR1);
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_FALSE(done_.HasBeenNotified());
  WriteFd(client(), "still here");
  EXPECT_EQ(ReadWithin(backend()), "still here");
  ASSERT_EQ(::shutdown(backend(), SHUT_WR), 0);
  EXPECT_TRUE(Result().ok()) << status_;
  ::sigaction(SIGUSR1, &old, nullptr);
}

std::string Pattern(size_t size, int seed) {
  std::string data(size, '\0');
  uint32_t x = seed;
  for (char& c : data) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  return data;
}

TEST_F(SpliceTest, LargeTransfersBothWaysAtOnce) {
  // Both directions at once, each far beyond the socket buffers: partial
  // writes everywhere, and a splice that blocked on one direction would
  // deadlock with peers that write before they read.
  const std::string stdin_data = Pattern(8 << 20, 1);
  const std::string stdout_data = Pattern(8 << 20, 2);
  Start();
  std::string backend_got;
  std::thread container([&] {
    std::thread writer([&] {
      size_t off = 0;
      while (off < stdout_data.size()) {
        const ssize_t n = ::send(backend(), stdout_data.data() + off,
                                 stdout_data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += n;
      }
    });
    char buf[65536];
    while (true) {
      const ssize_t n = ::read(backend(), buf, sizeof(buf));
      if (n <= 0) break;
      backend_got.append(buf, n);
    }
    writer.join();
    // Only now: the backend's EOF ends the splice, stdin included.
    ::shutdown(backend(), SHUT_WR);
  });
  std::thread stdin_writer([&] {
    size_t off = 0;
    while (off < stdin_data.size()) {
      const ssize_t n = ::send(client(), stdin_data.data() + off,
                               stdin_data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += n;
    }
    ::shutdown(client(), SHUT_WR);
  });
  std::string client_got;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(client(), buf, sizeof(buf));
    if (n <= 0) break;
    client_got.append(buf, n);
  }
  stdin_writer.join();
  container.join();
  EXPECT_TRUE(Result().ok()) << status_;
  EXPECT_EQ(client_got.size(), stdout_data.size());
  EXPECT_TRUE(client_got == stdout_data);
  EXPECT_EQ(backend_got.size(), stdin_data.size());
  EXPECT_TRUE(backend_got == stdin_data);
}

}  // namespace
}  // namespace berth::gateway
