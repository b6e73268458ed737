#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ssl.hpp"
#include "gateway/http/server.h"
#include "gateway/http/test_certs.h"
#include "gateway/http/test_client.h"
#include "gateway/http/tls_config.h"
#include "gtest/gtest.h"

namespace berth::gateway {
namespace {

using http_test::ConnectTcp;
using http_test::MakeRequest;
using http_test::Response;
using http_test::RoundTrip;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

// A throwaway CA, a server certificate for 127.0.0.1 signed by it, a client
// certificate signed by it and a self-signed "rogue" client certificate.
class TlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string templ = absl::StrCat(tmp ? tmp : "/tmp", "/tlsXXXXXX");
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

  static std::string File(absl::string_view name) {
    return absl::StrCat(*dir_, "/", name);
  }

  static ServerConfig Config(bool verify) {
    ServerConfig config;
    config.socket_group = "";
    config.tls = TlsConfig{.ca_file = File("ca.pem"),
                           .cert_file = File("server.pem"),
                           .key_file = File("server-key.pem"),
                           .verify_client = verify};
    EXPECT_TRUE(
        config.router
            .Add("GET", "/_ping",
                 [](Request&, ResponseWriter& w) { w.Send(200, {}, "OK"); })
            .ok());
    return config;
  }

  std::string Start(ServerConfig config, const std::string& host) {
    server_ = std::make_unique<Server>(std::move(config));
    absl::StatusOr<std::string> address = server_->Listen(host);
    EXPECT_TRUE(address.ok()) << address.status();
    server_->Start();
    return address.value_or("");
  }

  // Two GET /_ping over one TLS connection, presenting `cert` if non-empty.
  static absl::StatusOr<Response> Ping(const std::string& address,
                                       const std::string& cert = "",
                                       const std::string& key = "") {
    ssl::context ctx(ssl::context::tls_client);
    beast::error_code ec;
    ctx.load_verify_file(File("ca.pem"), ec);
    if (ec) return absl::InternalError("CA: " + ec.message());
    ctx.set_verify_mode(ssl::verify_peer);
    if (!cert.empty()) {
      ctx.use_certificate_chain_file(cert, ec);
      if (!ec) ctx.use_private_key_file(key, ssl::context::pem, ec);
      if (ec) return absl::InternalError("client cert: " + ec.message());
    }
    net::io_context io;
    absl::StatusOr<net::ip::tcp::socket> socket = ConnectTcp(io, address);
    if (!socket.ok()) return socket.status();
    ssl::stream<net::ip::tcp::socket> stream(std::move(*socket), ctx);
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) return absl::UnavailableError("handshake: " + ec.message());
    beast::flat_buffer buffer;
    absl::StatusOr<Response> res;
    for (int i = 0; i < 2 && (i == 0 || res.ok()); ++i) {
      res = RoundTrip(stream, buffer, MakeRequest(http::verb::get, "/_ping"));
    }
    return res;
  }

  static std::string* dir_;
  std::unique_ptr<Server> server_;
};

std::string* TlsServerTest::dir_ = nullptr;

TEST_F(TlsServerTest, VerifiedClientIsServed) {
  std::string address = Start(Config(true), "tcp://127.0.0.1:0");
  absl::StatusOr<Response> res =
      Ping(address, File("client.pem"), File("client-key.pem"));
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "OK");
}

TEST_F(TlsServerTest, ClientWithoutCertificateIsRefused) {
  std::string address = Start(Config(true), "tcp://127.0.0.1:0");
  absl::StatusOr<Response> res = Ping(address);
  EXPECT_FALSE(res.ok());
}

TEST_F(TlsServerTest, ClientWithUntrustedCertificateIsRefused) {
  std::string address = Start(Config(true), "tcp://127.0.0.1:0");
  absl::StatusOr<Response> res =
      Ping(address, File("rogue.pem"), File("rogue-key.pem"));
  EXPECT_FALSE(res.ok());
}

TEST_F(TlsServerTest, WithoutVerifyAnyClientIsServed) {
  std::string address = Start(Config(false), "tcp://127.0.0.1:0");
  absl::StatusOr<Response> res = Ping(address);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->body(), "OK");
}

TEST_F(TlsServerTest, PlainHttpClientGetsNoResponse) {
  std::string address = Start(Config(true), "tcp://127.0.0.1:0");
  net::io_context io;
  absl::StatusOr<net::ip::tcp::socket> socket = ConnectTcp(io, address);
  ASSERT_TRUE(socket.ok());
  beast::flat_buffer buffer;
  EXPECT_FALSE(
      RoundTrip(*socket, buffer, MakeRequest(http::verb::get, "/_ping")).ok());
}

TEST_F(TlsServerTest, TlsMayServeNonLoopback) {
  Server server(Config(true));
  absl::StatusOr<std::string> address = server.Listen("tcp://0.0.0.0:0");
  ASSERT_TRUE(address.ok()) << address.status();
}

TEST_F(TlsServerTest, MissingKeyFileIsInvalidArgument) {
  ServerConfig config = Config(true);
  config.tls->key_file = File("nope.pem");
  Server server(std::move(config));
  absl::StatusOr<std::string> address = server.Listen("tcp://127.0.0.1:0");
  EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(address.status().message(), "nope.pem"))
      << address.status();
}

}  // namespace
}  // namespace berth::gateway
