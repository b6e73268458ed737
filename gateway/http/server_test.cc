#include "gateway/http/server.h"

#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gateway/http/gate.h"
#include "gateway/http/test_client.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace berth::gateway {
namespace {

using http_test::ConnectTcp;
using http_test::ConnectUnix;
using http_test::MakeRequest;
using http_test::Response;
using http_test::RoundTrip;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

// A fresh directory short enough for unix socket paths (108 bytes).
std::string MakeTempDir() {
  std::string base = "/tmp";
  if (const char* tmp = std::getenv("TEST_TMPDIR");
      tmp != nullptr && std::strlen(tmp) < 60) {
    base = tmp;
  }
  std::string templ = base + "/httpXXXXXX";
  EXPECT_NE(::mkdtemp(templ.data()), nullptr);
  return templ;
}

std::string Field(const Response& res, absl::string_view name) {
  auto it = res.find(beast::string_view(name.data(), name.size()));
  return it == res.end() ? "" : std::string(it->value());
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }

  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  ServerConfig BaseConfig() {
    ServerConfig config;
    config.socket_group = "";
    Router& r = config.router;
    auto ok = [](absl::Status s) { ASSERT_TRUE(s.ok()) << s; };
    ok(r.Add("GET", "/_ping", [](Request&, ResponseWriter& w) {
      w.Send(200, {{"Content-Type", "text/plain; charset=utf-8"}}, "OK");
    }));
    ok(r.Add("GET", "/hello", [](Request&, ResponseWriter& w) {
      w.Send(200, {{"Content-Type", "text/plain"}}, "hello");
    }));
    ok(r.Add("POST", "/echo", [](Request& req, ResponseWriter& w) {
      w.Send(200, {}, req.body);
    }));
    ok(r.Add("GET", "/stream", [this](Request&, ResponseWriter& w) {
      w.StartStream(200, {{"Content-Type", "application/json"}});
      w.Write("first");
      // The client only signals after it has read "first": proves the chunk
      // left the server before the handler wrote more.
      client_read_first_ok_ =
          client_read_first_.WaitForNotificationWithTimeout(absl::Seconds(20));
      w.Write("second");
      w.EndStream();
    }));
    ok(r.Add("GET", "/events", [this](Request&, ResponseWriter& w) {
      w.StartStream(200, {{"Content-Type", "application/json"}});
      events_started_.Notify();
      while (!w.ClientGone()) absl::SleepFor(absl::Milliseconds(2));
      events_saw_gone_.Notify();
    }));
    return config;
  }

  std::string Start(ServerConfig config, const std::string& host) {
    server_ = std::make_unique<Server>(std::move(config));
    absl::StatusOr<std::string> address = server_->Listen(host);
    EXPECT_TRUE(address.ok()) << address.status();
    server_->Start();
    return address.value_or("");
  }

  std::string dir_;
  std::unique_ptr<Server> server_;
  net::io_context io_;
  absl::Notification client_read_first_;
  std::atomic<bool> client_read_first_ok_{false};
  absl::Notification events_started_;
  absl::Notification events_saw_gone_;
};

TEST_F(ServerTest, TcpPortZeroAndKeepAlive) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  ASSERT_TRUE(absl::StartsWith(address, "tcp://127.0.0.1:")) << address;
  EXPECT_NE(address, "tcp://127.0.0.1:0");

  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok()) << socket.status();
  beast::flat_buffer buffer;
  absl::StatusOr<Response> first =
      RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/_ping"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->result_int(), 200);
  EXPECT_EQ(first->body(), "OK");
  EXPECT_EQ(Field(*first, "Content-Length"), "2");
  EXPECT_TRUE(first->keep_alive());
  // Same socket: the server kept the connection open.
  absl::StatusOr<Response> second = RoundTrip(
      *socket, buffer, MakeRequest(http::verb::post, "/echo", "payload"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->body(), "payload");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  auto req = MakeRequest(http::verb::get, "/_ping");
  req.keep_alive(false);
  absl::StatusOr<Response> res = RoundTrip(*socket, buffer, req);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_FALSE(res->keep_alive());
  char byte;
  beast::error_code ec;
  socket->read_some(net::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, net::error::eof);
}

TEST_F(ServerTest, UnixSocketModeGroupAndCleanup) {
  ServerConfig config = BaseConfig();
  group* own = ::getgrgid(::getgid());
  ASSERT_NE(own, nullptr);
  config.socket_group = own->gr_name;
  config.socket_group_explicit = true;
  const std::string path = dir_ + "/run/berth/docker.sock";
  std::string address = Start(std::move(config), "unix://" + path);
  EXPECT_EQ(address, "unix://" + path);

  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660);
  EXPECT_EQ(st.st_gid, ::getgid());

  auto socket = ConnectUnix(io_, path);
  ASSERT_TRUE(socket.ok()) << socket.status();
  beast::flat_buffer buffer;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<Response> res =
        RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/hello"));
    ASSERT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(res->body(), "hello");
  }
  server_->Stop();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ServerTest, StaleSocketIsReplacedButOtherFilesAreNot) {
  const std::string path = dir_ + "/stale.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  ASSERT_TRUE(std::filesystem::exists(path));
  Start(BaseConfig(), "unix://" + path);
  auto socket = ConnectUnix(io_, path);
  ASSERT_TRUE(socket.ok()) << socket.status();

  const std::string file = dir_ + "/not-a-socket";
  std::ofstream(file) << "data";
  absl::StatusOr<std::string> refused = server_->Listen("unix://" + file);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::is_regular_file(file));
}

TEST_F(ServerTest, MissingSocketGroup) {
  ServerConfig config = BaseConfig();
  config.socket_group = "berth-no-such-group";
  server_ = std::make_unique<Server>(std::move(config));
  // The default group may be absent: warn and serve.
  EXPECT_TRUE(server_->Listen("unix://" + dir_ + "/a.sock").ok());

  ServerConfig explicit_config = BaseConfig();
  explicit_config.socket_group = "berth-no-such-group";
  explicit_config.socket_group_explicit = true;
  Server strict(std::move(explicit_config));
  absl::StatusOr<std::string> res = strict.Listen("unix://" + dir_ + "/b.sock");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(res.status().message(), "berth-no-such-group"));
}

TEST_F(ServerTest, PlainTcpOnNonLoopbackNeedsOptIn) {
  Server server(BaseConfig());
  absl::StatusOr<std::string> res = server.Listen("tcp://0.0.0.0:0");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(res.status().message(), "tcp://0.0.0.0:0"))
      << res.status();

  ServerConfig config = BaseConfig();
  config.allow_insecure_tcp = true;
  Server allowed(std::move(config));
  res = allowed.Listen("tcp://0.0.0.0:0");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_TRUE(absl::StartsWith(*res, "tcp://0.0.0.0:")) << *res;
}

TEST_F(ServerTest, MalformedHostIsInvalidArgument) {
  Server server(BaseConfig());
  absl::StatusOr<std::string> res = server.Listen("tcp//127.0.0.1");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(res.status().message(), "tcp//127.0.0.1"));
}

TEST_F(ServerTest, StreamIsChunkedAndIncremental) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::error_code ec;
  http::write(*socket, MakeRequest(http::verb::get, "/stream"), ec);
  ASSERT_FALSE(ec) << ec.message();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  std::string received;
  auto on_chunk = [&](std::uint64_t, beast::string_view body,
                      beast::error_code&) {
    received.append(body.data(), body.size());
    return body.size();
  };
  parser.on_chunk_body(on_chunk);
  http::read_header(*socket, buffer, parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(parser.get().result_int(), 200);
  EXPECT_TRUE(parser.get().chunked());
  while (received.size() < 5 && !ec) {
    http::read_some(*socket, buffer, parser, ec);
  }
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(received, "first");
  client_read_first_.Notify();
  http::read(*socket, buffer, parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(received, "firstsecond");
  EXPECT_TRUE(client_read_first_ok_);

  // The terminating chunk leaves the connection usable.
  absl::StatusOr<Response> next =
      RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/hello"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->body(), "hello");
}

TEST_F(ServerTest, StreamNoticesClientGone) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  beast::error_code ec;
  http::write(*socket, MakeRequest(http::verb::get, "/events"), ec);
  http::read_header(*socket, buffer, parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(parser.get().result_int(), 200);
  ASSERT_TRUE(
      events_started_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  socket->close();
  EXPECT_TRUE(
      events_saw_gone_.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST_F(ServerTest, StopEndsLongStreams) {
  std::string address = Start(BaseConfig(), "unix://" + dir_ + "/s.sock");
  auto socket = ConnectUnix(io_, dir_ + "/s.sock");
  ASSERT_TRUE(socket.ok());
  // An idle keep-alive connection too.
  auto idle = ConnectUnix(io_, dir_ + "/s.sock");
  ASSERT_TRUE(idle.ok());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  beast::error_code ec;
  http::write(*socket, MakeRequest(http::verb::get, "/events"), ec);
  http::read_header(*socket, buffer, parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(
      events_started_.WaitForNotificationWithTimeout(absl::Seconds(10)));

  const absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(events_saw_gone_.HasBeenNotified());
  http::read(*socket, buffer, parser, ec);
  EXPECT_TRUE(ec) << "stream should end without a clean last chunk";
  char byte;
  idle->read_some(net::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, net::error::eof);
}

TEST_F(ServerTest, HeadSendsHeadersOnly) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  absl::StatusOr<Response> head =
      RoundTrip(*socket, buffer, MakeRequest(http::verb::head, "/hello"));
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->result_int(), 200);
  EXPECT_EQ(Field(*head, "Content-Length"), "5");
  EXPECT_EQ(head->body(), "");
  // Had the body been sent, it would be parsed as this response's start.
  absl::StatusOr<Response> get =
      RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/hello"));
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->result_int(), 200);
  EXPECT_EQ(get->body(), "hello");
}

TEST_F(ServerTest, CorsHeadersAndPreflight) {
  ServerConfig config = BaseConfig();
  config.cors_header = "https://ui.example";
  std::string address = Start(std::move(config), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  for (const char* target : {"/hello", "/v1.43/nope"}) {
    absl::StatusOr<Response> res =
        RoundTrip(*socket, buffer, MakeRequest(http::verb::get, target));
    ASSERT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(Field(*res, "Access-Control-Allow-Origin"), "https://ui.example");
    EXPECT_EQ(Field(*res, "Access-Control-Allow-Headers"),
              "Origin, X-Requested-With, Content-Type, Accept, "
              "X-Registry-Auth");
    EXPECT_EQ(Field(*res, "Access-Control-Allow-Methods"),
              "HEAD, GET, POST, DELETE, PUT, OPTIONS");
  }
  absl::StatusOr<Response> preflight =
      RoundTrip(*socket, buffer,
                MakeRequest(http::verb::options, "/v1.43/containers/create"));
  ASSERT_TRUE(preflight.ok()) << preflight.status();
  EXPECT_EQ(preflight->result_int(), 200);
  EXPECT_EQ(Field(*preflight, "Access-Control-Allow-Origin"),
            "https://ui.example");
}

TEST_F(ServerTest, NoCorsHeadersByDefault) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  absl::StatusOr<Response> res =
      RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/hello"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(Field(*res, "Access-Control-Allow-Origin"), "");
  res = RoundTrip(*socket, buffer, MakeRequest(http::verb::options, "/hello"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->result_int(), 405);
}

TEST_F(ServerTest, DefaultHeadersOnEveryResponse) {
  ServerConfig config = BaseConfig();
  config.default_headers = {{"Api-Version", "1.47"}, {"Server", "berth"}};
  std::string address = Start(std::move(config), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  absl::StatusOr<Response> res =
      RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/v1.99/_ping"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->result_int(), 400);
  EXPECT_EQ(Field(*res, "Api-Version"), "1.47");
  EXPECT_EQ(Field(*res, "Server"), "berth");
  EXPECT_EQ(nlohmann::json::parse(res->body())["message"],
            "client version 1.99 is too new. Maximum supported API version is "
            "1.47");
}

TEST_F(ServerTest, NotFoundIsDockerJson) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  absl::StatusOr<Response> res =
      RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/v1.43/nope"));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->result_int(), 404);
  EXPECT_EQ(Field(*res, "Content-Type"), "application/json");
  EXPECT_EQ(res->body(), "{\"message\":\"page not found\"}\n");
}

TEST_F(ServerTest, GateHoldsRequestsUntilOpen) {
  Gate gate;
  ServerConfig config = BaseConfig();
  config.gate = &gate;
  std::string address = Start(std::move(config), "tcp://127.0.0.1:0");
  absl::StatusOr<Response> res;
  std::thread client([&] {
    net::io_context io;
    auto socket = ConnectTcp(io, address);
    beast::flat_buffer buffer;
    res = socket.ok() ? RoundTrip(*socket, buffer,
                                  MakeRequest(http::verb::get, "/_ping"))
                      : socket.status();
  });
  // The request is parked in the gate before it opens.
  while (gate.waiters() == 0) absl::SleepFor(absl::Milliseconds(1));
  gate.Open();
  client.join();
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "OK");
}

TEST_F(ServerTest, GateTimesOutWith503) {
  Gate gate;
  ServerConfig config = BaseConfig();
  config.gate = &gate;
  config.gate_timeout = absl::Milliseconds(20);
  std::string address = Start(std::move(config), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  absl::StatusOr<Response> res =
      RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/_ping"));
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->result_int(), 503);
  EXPECT_EQ(Field(*res, "Content-Type"), "application/json");
  EXPECT_TRUE(absl::StrContains(
      nlohmann::json::parse(res->body())["message"].get<std::string>(),
      "starting up"));
}

TEST_F(ServerTest, ExpectContinue) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  net::write(*socket,
             net::buffer(std::string(
                 "POST /echo HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")));
  beast::flat_buffer buffer;
  Response interim;
  beast::error_code ec;
  http::read(*socket, buffer, interim, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(interim.result(), http::status::continue_);
  net::write(*socket, net::buffer(std::string("hello")));
  Response final_response;
  http::read(*socket, buffer, final_response, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(final_response.result_int(), 200);
  EXPECT_EQ(final_response.body(), "hello");
}

TEST_F(ServerTest, ChunkedRequestBody) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  net::write(*socket,
             net::buffer(std::string("POST /echo HTTP/1.1\r\nHost: x\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n"
                                     "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")));
  beast::flat_buffer buffer;
  Response res;
  beast::error_code ec;
  http::read(*socket, buffer, res, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.body(), "abcdefg");
}

TEST_F(ServerTest, MalformedRequestGets400) {
  std::string address = Start(BaseConfig(), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  net::write(*socket, net::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  beast::flat_buffer buffer;
  Response res;
  beast::error_code ec;
  http::read(*socket, buffer, res, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 400);
}

TEST_F(ServerTest, BodyLimit) {
  ServerConfig config = BaseConfig();
  config.body_limit = 4;
  std::string address = Start(std::move(config), "tcp://127.0.0.1:0");
  auto socket = ConnectTcp(io_, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  absl::StatusOr<Response> res = RoundTrip(
      *socket, buffer, MakeRequest(http::verb::post, "/echo", "too long"));
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->result_int(), 413);
  EXPECT_EQ(Field(*res, "Content-Type"), "application/json");
  EXPECT_TRUE(nlohmann::json::parse(res->body()).contains("message"));

  // Chunked bodies hit the limit while the body is read.
  auto chunked = ConnectTcp(io_, address);
  ASSERT_TRUE(chunked.ok());
  net::write(*chunked,
             net::buffer(std::string("POST /echo HTTP/1.1\r\nHost: x\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n"
                                     "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")));
  beast::flat_buffer chunked_buffer;
  Response too_large;
  beast::error_code ec;
  http::read(*chunked, chunked_buffer, too_large, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(too_large.result_int(), 413);
  EXPECT_FALSE(too_large.keep_alive());
}

bool FdIsFree(int fd) { return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF; }

TEST_F(ServerTest, SystemdSocketActivation) {
  if (!FdIsFree(3) || !FdIsFree(4)) {
    GTEST_SKIP() << "descriptors 3 and 4 are taken in this test process";
  }
  const std::string path = dir_ + "/activated.sock";
  int unix_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un ua{};
  ua.sun_family = AF_UNIX;
  std::strcpy(ua.sun_path, path.c_str());
  ASSERT_EQ(::bind(unix_fd, reinterpret_cast<sockaddr*>(&ua), sizeof(ua)), 0);
  ASSERT_EQ(::listen(unix_fd, 16), 0);
  int tcp_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in ta{};
  ta.sin_family = AF_INET;
  ta.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(tcp_fd, reinterpret_cast<sockaddr*>(&ta), sizeof(ta)), 0);
  ASSERT_EQ(::listen(tcp_fd, 16), 0);
  // socket() may itself have returned 3 or 4: park both high first.
  int high_unix = ::fcntl(unix_fd, F_DUPFD_CLOEXEC, 100);
  int high_tcp = ::fcntl(tcp_fd, F_DUPFD_CLOEXEC, 100);
  ::close(unix_fd);
  ::close(tcp_fd);
  ASSERT_EQ(::dup2(high_unix, 3), 3);
  ASSERT_EQ(::dup2(high_tcp, 4), 4);
  ::close(high_unix);
  ::close(high_tcp);
  ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", "2", 1);
  ::setenv("LISTEN_FDNAMES", "docker.socket:docker.socket", 1);

  std::string addresses = Start(BaseConfig(), "fd://docker.socket");
  std::vector<std::string> parts = absl::StrSplit(addresses, ',');
  ASSERT_EQ(parts.size(), 2u) << addresses;
  EXPECT_EQ(parts[0], "unix://" + path);
  EXPECT_TRUE(absl::StartsWith(parts[1], "tcp://127.0.0.1:")) << parts[1];
  // Each descriptor can back only one listener.
  EXPECT_EQ(server_->Listen("fd://3").status().code(),
            absl::StatusCode::kFailedPrecondition);

  beast::flat_buffer b1, b2;
  auto over_unix = ConnectUnix(io_, path);
  ASSERT_TRUE(over_unix.ok());
  absl::StatusOr<Response> r1 =
      RoundTrip(*over_unix, b1, MakeRequest(http::verb::get, "/_ping"));
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ(r1->body(), "OK");
  auto over_tcp = ConnectTcp(io_, parts[1]);
  ASSERT_TRUE(over_tcp.ok());
  absl::StatusOr<Response> r2 =
      RoundTrip(*over_tcp, b2, MakeRequest(http::verb::get, "/_ping"));
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(r2->body(), "OK");

  server_->Stop();
  // The server owned (and closed) the adopted descriptors; the socket file
  // belongs to systemd and stays.
  EXPECT_TRUE(FdIsFree(3));
  EXPECT_TRUE(FdIsFree(4));
  EXPECT_TRUE(std::filesystem::exists(path));
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
}

TEST_F(ServerTest, SocketActivationWithoutEnvironment) {
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  Server server(BaseConfig());
  EXPECT_EQ(server.Listen("fd://").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace berth::gateway
