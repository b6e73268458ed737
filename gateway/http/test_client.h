#ifndef BERTH_GATEWAY_HTTP_TEST_CLIENT_H_
#define BERTH_GATEWAY_HTTP_TEST_CLIENT_H_

// A minimal blocking HTTP client over Beast for the server tests.

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/local/stream_protocol.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/http/request.h"

namespace berth::gateway::http_test {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using UnixProtocol = net::local::stream_protocol;
using Response = http::response<http::string_body>;

inline http::request<http::string_body> MakeRequest(
    http::verb method, absl::string_view target, std::string body = "",
    const Headers& headers = {}) {
  http::request<http::string_body> req(method, std::string(target), 11);
  req.set(http::field::host, "localhost");
  for (const auto& [name, value] : headers) req.insert(name, value);
  if (!body.empty() || method == http::verb::post) {
    req.body() = std::move(body);
    req.prepare_payload();
  }
  return req;
}

// Writes `req` and reads one response; HEAD responses are read without a
// body, as a client must.
template <class Stream>
absl::StatusOr<Response> RoundTrip(
    Stream& stream, beast::flat_buffer& buffer,
    const http::request<http::string_body>& req) {
  beast::error_code ec;
  http::write(stream, req, ec);
  if (ec) return absl::UnavailableError("write: " + ec.message());
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 30);
  if (req.method() == http::verb::head) parser.skip(true);
  http::read(stream, buffer, parser, ec);
  if (ec) return absl::UnavailableError("read: " + ec.message());
  return parser.release();
}

// "tcp://127.0.0.1:1234" -> connected socket.
inline absl::StatusOr<tcp::socket> ConnectTcp(net::io_context& io,
                                              absl::string_view address) {
  absl::string_view rest = address;
  if (!absl::StartsWith(rest, "tcp://")) {
    return absl::InvalidArgumentError(absl::StrCat("not tcp: ", address));
  }
  rest.remove_prefix(6);
  size_t colon = rest.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(rest.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("no port: ", address));
  }
  std::string host(rest.substr(0, colon));
  if (absl::StartsWith(host, "[")) host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  tcp::socket socket(io);
  socket.connect(
      tcp::endpoint(net::ip::make_address(host), static_cast<uint16_t>(port)),
      ec);
  if (ec) return absl::UnavailableError("connect: " + ec.message());
  return socket;
}

inline absl::StatusOr<UnixProtocol::socket> ConnectUnix(
    net::io_context& io, absl::string_view path) {
  beast::error_code ec;
  UnixProtocol::socket socket(io);
  socket.connect(UnixProtocol::endpoint(std::string(path)), ec);
  if (ec) return absl::UnavailableError("connect: " + ec.message());
  return socket;
}

}  // namespace berth::gateway::http_test

#endif  // BERTH_GATEWAY_HTTP_TEST_CLIENT_H_
