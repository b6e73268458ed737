// Hijacking through the real server: unix, plain TCP and TLS connections.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "boost/asio/ssl.hpp"
#include "gateway/http/hijacked_conn.h"
#include "gateway/http/server.h"
#include "gateway/http/splice.h"
#include "gateway/http/test_certs.h"
#include "gateway/http/test_client.h"
#include "gateway/http/tls_config.h"
#include "gateway/http/tls_hijacked_conn.h"
#include "gtest/gtest.h"

namespace berth::gateway {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using http_test::ConnectTcp;
using http_test::ConnectUnix;
using tcp = net::ip::tcp;
using UnixProtocol = net::local::stream_protocol;

enum class Transport {
  kUnix,
  kTcp,
  // The client half-closes with close_notify, then a TCP FIN.
  kTlsCloseNotify,
  // The client half-closes with a bare TCP FIN, as the docker CLI does.
  kTlsBareFin,
};

bool IsTls(Transport t) {
  return t == Transport::kTlsCloseNotify || t == Transport::kTlsBareFin;
}

std::string Name(const ::testing::TestParamInfo<Transport>& info) {
  switch (info.param) {
    case Transport::kUnix:
      return "Unix";
    case Transport::kTcp:
      return "Tcp";
    case Transport::kTlsCloseNotify:
      return "TlsCloseNotify";
    case Transport::kTlsBareFin:
      return "TlsBareFin";
  }
  return "Unknown";
}

// Reads what arrives within 10 s on a plain descriptor (the backend's
// end): data, "" at EOF, or nullopt if nothing came.
std::optional<std::string> ReadFdWithin(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, 10000) != 1) return std::nullopt;
  char buf[65536];
  const ssize_t got = ::read(fd, buf, sizeof(buf));
  if (got < 0) return std::nullopt;
  return std::string(buf, got);
}

void WriteFd(int fd, absl::string_view data) {
  ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(data.size()));
}

// The docker CLI's end of a connection, speaking raw bytes through the
// same HijackedConn implementations the server uses.
class Client {
 public:
  absl::Status Connect(Transport transport, const std::string& address,
                       const std::string& ca_file) {
    transport_ = transport;
    if (transport == Transport::kUnix) {
      absl::StatusOr<UnixProtocol::socket> socket =
          ConnectUnix(io_, address.substr(strlen("unix://")));
      if (!socket.ok()) return socket.status();
      unix_.emplace(std::move(*socket));
      conn_ = MakeSocketHijackedConn(unix_->native_handle(), "", false);
      return absl::OkStatus();
    }
    absl::StatusOr<tcp::socket> socket = ConnectTcp(io_, address);
    if (!socket.ok()) return socket.status();
    if (!IsTls(transport)) {
      tcp_.emplace(std::move(*socket));
      conn_ = MakeSocketHijackedConn(tcp_->native_handle(), "", false);
      return absl::OkStatus();
    }
    ctx_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx_->load_verify_file(ca_file, ec);
    if (ec) return absl::InternalError("CA: " + ec.message());
    ctx_->set_verify_mode(ssl::verify_peer);
    tls_.emplace(std::move(*socket), *ctx_);
    tls_->handshake(ssl::stream_base::client, ec);
    if (ec) return absl::UnavailableError("handshake: " + ec.message());
    conn_ = MakeTlsHijackedConn(*tls_, "");
    return absl::OkStatus();
  }

  void Send(absl::string_view data) {
    absl::Status status = conn_->WriteAll(data);
    ASSERT_TRUE(status.ok()) << status;
  }

  // TCP_CORK on TCP sockets: while on, writes leave as one segment, so
  // the server reads them with a single recv().
  void Cork(bool on) {
    if (transport_ == Transport::kUnix) return;
    const int value = on ? 1 : 0;
    ASSERT_EQ(
        ::setsockopt(conn_->fd(), IPPROTO_TCP, TCP_CORK, &value, sizeof(value)),
        0);
  }

  // For a peer that may have closed already.
  absl::Status TrySend(absl::string_view data) { return conn_->WriteAll(data); }

  // Reads up to and including the blank line ending the response headers;
  // what came after it stays for Read().
  std::string ReadHead() {
    while (pending_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill()) break;
    }
    const size_t end = pending_.find("\r\n\r\n");
    if (end == std::string::npos) return std::exchange(pending_, "");
    std::string head = pending_.substr(0, end + 4);
    pending_.erase(0, end + 4);
    return head;
  }

  // Reads until `n` bytes came, or the stream ended.
  std::string Read(size_t n) {
    while (pending_.size() < n && Fill()) {
    }
    std::string out = pending_.substr(0, n);
    pending_.erase(0, out.size());
    return out;
  }

  // Everything up to EOF (or an error such as a reset).
  std::string ReadToEnd() {
    while (Fill()) {
    }
    return std::exchange(pending_, "");
  }

  void HalfClose() {
    if (transport_ == Transport::kTlsBareFin) {
      ASSERT_EQ(::shutdown(conn_->fd(), SHUT_WR), 0);
      return;
    }
    absl::Status status = conn_->CloseWrite();
    ASSERT_TRUE(status.ok()) << status;
  }

  // Over TLS: whether the server ended its stream with close_notify.
  bool GotCloseNotify() {
    return (::SSL_get_shutdown(tls_->native_handle()) &
            SSL_RECEIVED_SHUTDOWN) != 0;
  }

  bool eof() const { return eof_; }

 private:
  bool Fill() {
    if (eof_) return false;
    char buf[65536];
    absl::StatusOr<size_t> got = conn_->Read(buf, sizeof(buf));
    if (!got.ok() || *got == 0) {
      eof_ = true;
      return false;
    }
    pending_.append(buf, *got);
    return true;
  }

  Transport transport_ = Transport::kUnix;
  net::io_context io_;
  std::unique_ptr<ssl::context> ctx_;
  std::optional<UnixProtocol::socket> unix_;
  std::optional<tcp::socket> tcp_;
  std::optional<ssl::stream<tcp::socket>> tls_;
  std::unique_ptr<HijackedConn> conn_;
  std::string pending_;
  bool eof_ = false;
};

constexpr absl::string_view kPipelinedPing =
    "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";

class HijackServerTest : public ::testing::TestWithParam<Transport> {
 protected:
  static void SetUpTestSuite() {
    std::string base = "/tmp";
    if (const char* tmp = std::getenv("TEST_TMPDIR");
        tmp != nullptr && std::strlen(tmp) < 60) {
      base = tmp;
    }
    std::string templ = base + "/hijXXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = new std::string(templ);
    const absl::Status made = http_test::MakeTestCerts(*dir_);
    ASSERT_TRUE(made.ok()) << made;
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(*dir_, ec);
    delete dir_;
  }

  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, backend_),
              0);
    ServerConfig config;
    config.socket_group = "";
    config.default_headers = {{"Api-Version", "1.47"}};
    if (IsTls(GetParam())) {
      config.tls =
          TlsConfig{.cert_file = absl::StrCat(*dir_, "/server.pem"),
                    .key_file = absl::StrCat(*dir_, "/server-key.pem")};
    }
    Router& r = config.router;
    auto ok = [](absl::Status s) { ASSERT_TRUE(s.ok()) << s; };
    ok(r.Add("GET", "/_ping", [](Request&, ResponseWriter& w) {
      w.Send(200, {{"Content-Type", "text/plain; charset=utf-8"}}, "OK");
    }));
    // Echoes the raw stream until the client's EOF; the way exec start
    // is called, with a JSON body.
    ok(r.Add("POST", "/echo", [this](Request& req, ResponseWriter& w) {
      {
        absl::MutexLock lock(&mu_);
        echo_body_ = req.body;
      }
      absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
          w.Hijack(101, {{"Content-Type", std::string(kRawStreamType)},
                         {"Connection", "Upgrade"},
                         {"Upgrade", "tcp"},
                         {"Content-Length", "12"}});
      ASSERT_TRUE(conn.ok()) << conn.status();
      char buf[4096];
      while (true) {
        absl::StatusOr<size_t> got = (*conn)->Read(buf, sizeof(buf));
        if (!got.ok() || *got == 0) break;
        if (!(*conn)->WriteAll(absl::string_view(buf, *got)).ok()) break;
      }
      (*conn)->CloseWrite().IgnoreError();
    }));
    ok(r.Add("POST", "/containers/{id}/attach",
             [this](Request& req, ResponseWriter& w) {
               HijackResponse res = DockerHijackResponse(req, true);
               absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
                   w.Hijack(res.status, res.headers);
               absl::Status status =
                   conn.ok() ? Splice(**conn, backend_[0]) : conn.status();
               absl::MutexLock lock(&mu_);
               splice_status_ = status;
               splice_done_.Notify();
             }));
    // Hijacks, says bye and returns without reading.
    ok(r.Add("POST", "/bye", [](Request&, ResponseWriter& w) {
      absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
          w.Hijack(101, {{"Content-Type", std::string(kRawStreamType)}});
      ASSERT_TRUE(conn.ok()) << conn.status();
      (*conn)->WriteAll("bye").IgnoreError();
    }));

    server_ = std::make_unique<Server>(std::move(config));
    const std::string host = GetParam() == Transport::kUnix
                                 ? absl::StrCat("unix://", *dir_, "/api.sock")
                                 : "tcp://127.0.0.1:0";
    absl::StatusOr<std::string> address = server_->Listen(host);
    ASSERT_TRUE(address.ok()) << address.status();
    address_ = *address;
    server_->Start();
  }

  void TearDown() override {
    server_.reset();
    for (int fd : backend_) {
      if (fd >= 0) ::close(fd);
    }
  }

  std::unique_ptr<Client> Connect() {
    auto client = std::make_unique<Client>();
    absl::Status status =
        client->Connect(GetParam(), address_, absl::StrCat(*dir_, "/ca.pem"));
    EXPECT_TRUE(status.ok()) << status;
    return status.ok() ? std::move(client) : nullptr;
  }

  absl::Status SpliceResult() {
    if (!splice_done_.WaitForNotificationWithTimeout(absl::Seconds(10))) {
      return absl::DeadlineExceededError("the splice is still running");
    }
    absl::MutexLock lock(&mu_);
    return splice_status_;
  }

  int backend() const { return backend_[1]; }

  static std::string* dir_;
  std::unique_ptr<Server> server_;
  std::string address_;
  int backend_[2] = {-1, -1};
  absl::Mutex mu_;
  std::string echo_body_ ABSL_GUARDED_BY(mu_);
  absl::Status splice_status_ ABSL_GUARDED_BY(mu_);
  absl::Notification splice_done_;
};

std::string* HijackServerTest::dir_ = nullptr;

TEST_P(HijackServerTest, ExactHeadersAndBytesSentWithTheRequest) {
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  // Body, raw bytes and what looks like a second request, all in the
  // request's own write: the server reads them along with the headers and
  // must hand them to the hijacker rather than drop or parse them.
  const std::string body = R"({"Detach":false})";
  const std::string raw = absl::StrCat("early bytes|", kPipelinedPing);
  client->Send(absl::StrCat(
      "POST /v1.47/echo HTTP/1.1\r\nHost: docker\r\n"
      "Content-Type: application/json\r\nContent-Length: ",
      body.size(), "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", body,
      raw));
  EXPECT_EQ(client->ReadHead(),
            "HTTP/1.1 101 UPGRADED\r\n"
            "Content-Type: application/vnd.docker.raw-stream\r\n"
            "Connection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: 1.47\r\n\r\n");
  EXPECT_EQ(client->Read(raw.size()), raw);
  client->Send("more");
  EXPECT_EQ(client->Read(4), "more");
  client->HalfClose();
  // The handler returned after its EOF: the connection ends, no answer to
  // the "request" in the raw stream.
  EXPECT_EQ(client->ReadToEnd(), "");
  EXPECT_TRUE(client->eof());
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(echo_body_, body);
}

TEST_P(HijackServerTest, AttachSplicesBothWaysWithHalfClose) {
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  client->Send(
      "POST /v1.47/containers/c1/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n"
      "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  EXPECT_EQ(client->ReadHead(),
            "HTTP/1.1 101 UPGRADED\r\n"
            "Content-Type: application/vnd.docker.multiplexed-stream\r\n"
            "Connection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: 1.47\r\n\r\n");
  client->Send("stdin line\n");
  EXPECT_EQ(ReadFdWithin(backend()), "stdin line\n");
  WriteFd(backend(), "stdout line\n");
  EXPECT_EQ(client->Read(12), "stdout line\n");

  // stdin ends: the container sees EOF, its output still comes through.
  client->HalfClose();
  EXPECT_EQ(ReadFdWithin(backend()), "");
  WriteFd(backend(), "goodbye\n");
  EXPECT_EQ(client->Read(8), "goodbye\n");
  EXPECT_FALSE(client->eof());

  // The container's output ends: so does the client's stream.
  ASSERT_EQ(::shutdown(backend(), SHUT_WR), 0);
  EXPECT_EQ(client->ReadToEnd(), "");
  EXPECT_TRUE(client->eof());
  if (IsTls(GetParam())) {
    EXPECT_TRUE(client->GotCloseNotify());
  }
  EXPECT_TRUE(SpliceResult().ok()) << SpliceResult();
}

TEST_P(HijackServerTest, StdinSentRightAfterTheRequestReachesTheBackend) {
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  // The first part rides in the request's own write (the server's read
  // buffer gets it); the second follows in its own write (over TLS its own
  // record), corked into the same segment, so that the server takes it off
  // the socket with the request (over TLS still undecrypted). Nothing
  // follows on the socket, so the splice must not wait for it to become
  // readable.
  client->Cork(true);
  client->Send(
      "POST /v1.47/containers/c1/attach?stream=1&stdin=1 HTTP/1.1\r\n"
      "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
      "first;");
  client->Send("second;");
  client->Cork(false);
  std::string got;
  while (got.size() < 13) {
    std::optional<std::string> more = ReadFdWithin(backend());
    if (!more.has_value() || more->empty()) break;
    got += *more;
  }
  EXPECT_EQ(got, "first;second;");
  EXPECT_EQ(client->ReadHead().substr(0, 22), "HTTP/1.1 101 UPGRADED\r");
  ::close(backend_[1]);
  backend_[1] = -1;
  EXPECT_EQ(client->ReadToEnd(), "");
  EXPECT_TRUE(SpliceResult().ok()) << SpliceResult();
}

TEST_P(HijackServerTest, ClientWithoutUpgradeGets200AndRawStream) {
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  client->Send(
      "POST /v1.47/containers/c1/attach?stream=1&stdout=1 HTTP/1.1\r\n"
      "Host: docker\r\n\r\n");
  EXPECT_EQ(client->ReadHead(),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/vnd.docker.raw-stream\r\n"
            "Api-Version: 1.47\r\n\r\n");
  WriteFd(backend(), "output");
  ::close(backend_[1]);
  backend_[1] = -1;
  EXPECT_EQ(client->ReadToEnd(), "output");
  EXPECT_TRUE(SpliceResult().ok()) << SpliceResult();
}

TEST_P(HijackServerTest, ConnectionClosesAfterTheHandler) {
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  client->Send("POST /bye HTTP/1.1\r\nHost: docker\r\n\r\n");
  EXPECT_EQ(client->ReadHead(),
            "HTTP/1.1 101 UPGRADED\r\n"
            "Content-Type: application/vnd.docker.raw-stream\r\n"
            "Api-Version: 1.47\r\n\r\n");
  EXPECT_EQ(client->Read(3), "bye");
  // A request on the hijacked connection gets no answer: the server closed
  // it when the handler returned (EOF, or a reset if the request arrived
  // before the close).
  client->TrySend(kPipelinedPing).IgnoreError();
  EXPECT_EQ(client->ReadToEnd(), "");
}

TEST_P(HijackServerTest, StopEndsTheSplice) {
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  client->Send(
      "POST /containers/c1/attach?stream=1&stdin=1 HTTP/1.1\r\n"
      "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  EXPECT_EQ(client->ReadHead().substr(0, 22), "HTTP/1.1 101 UPGRADED\r");
  // Client and backend both idle: only Stop() can end this.
  server_->Stop();
  EXPECT_EQ(SpliceResult().code(), absl::StatusCode::kUnavailable)
      << SpliceResult();
}

INSTANTIATE_TEST_SUITE_P(Transports, HijackServerTest,
                         ::testing::Values(Transport::kUnix, Transport::kTcp,
                                           Transport::kTlsCloseNotify,
                                           Transport::kTlsBareFin),
                         Name);

}  // namespace
}  // namespace berth::gateway
