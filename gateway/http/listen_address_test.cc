#include "gateway/http/listen_address.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/http/listen_fds.h"
#include "gtest/gtest.h"

namespace berth::gateway {
namespace {

TEST(ListenAddressTest, Unix) {
  absl::StatusOr<ListenAddress> a = ParseListenAddress("unix:///run/x.sock");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, ListenAddress::Kind::kUnix);
  EXPECT_EQ(a->path, "/run/x.sock");
}

TEST(ListenAddressTest, Tcp) {
  absl::StatusOr<ListenAddress> a = ParseListenAddress("tcp://127.0.0.1:2375");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, ListenAddress::Kind::kTcp);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 2375);
  a = ParseListenAddress("tcp://[::1]:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  a = ParseListenAddress("tcp://localhost:2376");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "localhost");
}

TEST(ListenAddressTest, Fd) {
  absl::StatusOr<ListenAddress> a = ParseListenAddress("fd://");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, ListenAddress::Kind::kFd);
  EXPECT_EQ(a->fd, "");
  a = ParseListenAddress("fd://3");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->fd, "3");
  a = ParseListenAddress("fd://docker.socket");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->fd, "docker.socket");
}

TEST(ListenAddressTest, MalformedIsInvalidArgumentNamingHost) {
  for (const char* host :
       {"", "/run/x.sock", "http://x:1", "unix://", "tcp://", "tcp://host",
        "tcp://:2375", "tcp://1.2.3.4:port", "tcp://1.2.3.4:70000",
        "tcp://::1:2375", "tcp://[::1]", "tcp://[::1:2375",
        "tcp://1.2.3.4:2375/path"}) {
    absl::StatusOr<ListenAddress> a = ParseListenAddress(host);
    ASSERT_FALSE(a.ok()) << host;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << host;
    EXPECT_TRUE(
        absl::StrContains(a.status().message(), absl::StrCat("\"", host, "\"")))
        << a.status();
  }
}

TEST(ListenFdsTest, SelectsAllByNumberOrName) {
  ListenFdsEnv env{.pid = 42, .count = 3, .names = {"api", "api", "metrics"}};
  absl::StatusOr<std::vector<int>> fds = SelectListenFds("", env, 42);
  ASSERT_TRUE(fds.ok());
  EXPECT_EQ(*fds, (std::vector<int>{3, 4, 5}));
  fds = SelectListenFds("4", env, 42);
  ASSERT_TRUE(fds.ok());
  EXPECT_EQ(*fds, (std::vector<int>{4}));
  fds = SelectListenFds("api", env, 42);
  ASSERT_TRUE(fds.ok());
  EXPECT_EQ(*fds, (std::vector<int>{3, 4}));
}

TEST(ListenFdsTest, Errors) {
  ListenFdsEnv env{.pid = 42, .count = 1, .names = {"api"}};
  EXPECT_EQ(SelectListenFds("", env, 7).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SelectListenFds("4", env, 42).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(SelectListenFds("other", env, 42).status().code(),
            absl::StatusCode::kNotFound);
  env.count = 0;
  EXPECT_EQ(SelectListenFds("", env, 42).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace berth::gateway
