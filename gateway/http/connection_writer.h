#ifndef BERTH_GATEWAY_HTTP_CONNECTION_WRITER_H_
#define BERTH_GATEWAY_HTTP_CONNECTION_WRITER_H_

#include <poll.h>

#include <atomic>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/http/request.h"
#include "gateway/http/response_writer.h"
#include "glog/logging.h"

namespace berth::gateway {
namespace http_internal {

inline bool BodylessStatus(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

// Framing fields are the server's business; a handler copying them from
// elsewhere would corrupt the response.
inline bool IsFramingField(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "Content-Length") ||
         absl::EqualsIgnoreCase(name, "Transfer-Encoding") ||
         absl::EqualsIgnoreCase(name, "Connection");
}

inline bool HasField(const Headers& headers, absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return true;
  }
  return false;
}

}  // namespace http_internal

// The ResponseWriter over one server connection, for one request. `Stream`
// is a tcp socket, a unix socket or an ssl::stream over a tcp socket; `fd`
// is the descriptor underneath, polled by ClientGone().
//
// Hijack() (101 Upgrade: tcp for attach/exec) will live here: write the
// 101 header like StartStream() does, then hand the handler `stream_` plus
// the bytes the server's read buffer already holds past the request, and
// mark the connection as not reusable (keep_alive_ = false, as the server
// checks it after the handler). That needs the buffer passed in here too.
template <class Stream>
class ConnectionWriter final : public ResponseWriter {
 public:
  ConnectionWriter(Stream& stream, int fd, const std::atomic<bool>& stop,
                   unsigned version, bool head, bool keep_alive,
                   const Headers& defaults)
      : stream_(stream),
        fd_(fd),
        stop_(stop),
        version_(version),
        head_(head),
        keep_alive_(keep_alive),
        defaults_(defaults) {}

  void Send(int status, const Headers& headers, std::string body) override {
    if (!BeginResponse(status)) return;
    boost::beast::http::response<boost::beast::http::string_body> res;
    Prepare(res, headers);
    boost::beast::error_code ec;
    if (head_ || http_internal::BodylessStatus(status_)) {
      if (!http_internal::BodylessStatus(status_)) {
        res.content_length(body.size());
      }
      boost::beast::http::response_serializer<boost::beast::http::string_body>
          serializer(res);
      boost::beast::http::write_header(stream_, serializer, ec);
    } else {
      res.body() = std::move(body);
      res.content_length(res.body().size());
      boost::beast::http::write(stream_, res, ec);
    }
    if (ec) Fail(ec);
  }

  bool StartStream(int status, const Headers& headers) override {
    if (!BeginResponse(status)) return false;
    streaming_ = true;
    no_body_ = head_ || http_internal::BodylessStatus(status_);
    boost::beast::http::response<boost::beast::http::empty_body> res;
    if (!no_body_) {
      if (version_ >= 11) {
        chunked_ = true;
      } else {
        // HTTP/1.0 has no chunking: the body ends when the connection does.
        keep_alive_ = false;
      }
    }
    Prepare(res, headers);
    if (chunked_) res.chunked(true);
    boost::beast::http::response_serializer<boost::beast::http::empty_body>
        serializer(res);
    boost::beast::error_code ec;
    boost::beast::http::write_header(stream_, serializer, ec);
    if (ec) Fail(ec);
    return !failed_;
  }

  bool Write(absl::string_view chunk) override {
    if (!streaming_ || ClientGone()) return false;
    if (no_body_ || chunk.empty()) return true;
    boost::beast::error_code ec;
    boost::asio::const_buffer data(chunk.data(), chunk.size());
    if (chunked_) {
      boost::asio::write(stream_, boost::beast::http::make_chunk(data), ec);
    } else {
      boost::asio::write(stream_, data, ec);
    }
    if (ec) Fail(ec);
    return !failed_;
  }

  void EndStream() override {
    if (!streaming_) return;
    streaming_ = false;
    if (!chunked_ || failed_) return;
    boost::beast::error_code ec;
    boost::asio::write(stream_, boost::beast::http::make_chunk_last(), ec);
    if (ec) Fail(ec);
  }

  bool ClientGone() override {
    if (failed_ || stop_.load()) return true;
    pollfd pfd{fd_, POLLRDHUP, 0};
    if (::poll(&pfd, 1, 0) > 0 &&
        (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0) {
      // Half-closed counts as gone, as in Go's net/http: the docker CLI
      // only half-closes hijacked connections, never plain requests.
      failed_ = true;
      return true;
    }
    return false;
  }

  bool responded() const override { return responded_; }

  // For answers sent while part of the request is still unread: the
  // server closes such connections, so the response must say so.
  void DisableKeepAlive() { keep_alive_ = false; }

  int status() const { return status_; }
  bool failed() const { return failed_; }
  bool keep_alive() const { return keep_alive_; }
  bool streaming() const { return streaming_; }

 private:
  bool BeginResponse(int status) {
    if (responded_) {
      LOG(ERROR) << "handler answered twice; dropping status " << status;
      return false;
    }
    responded_ = true;
    if (status < 100 || status > 999) {
      LOG(ERROR) << "handler sent invalid HTTP status " << status;
      status = 500;
    }
    status_ = status;
    return true;
  }

  template <class Body>
  void Prepare(boost::beast::http::response<Body>& res,
               const Headers& headers) {
    res.version(version_);
    res.result(static_cast<unsigned>(status_));
    for (const auto& [name, value] : defaults_) {
      if (!http_internal::HasField(headers, name)) res.insert(name, value);
    }
    for (const auto& [name, value] : headers) {
      if (!http_internal::IsFramingField(name)) res.insert(name, value);
    }
    res.keep_alive(keep_alive_);
  }

  void Fail(const boost::beast::error_code& ec) {
    VLOG(1) << "write failed: " << ec.message();
    failed_ = true;
  }

  Stream& stream_;
  const int fd_;
  const std::atomic<bool>& stop_;
  const unsigned version_;
  const bool head_;
  bool keep_alive_;
  const Headers& defaults_;
  bool responded_ = false;
  bool streaming_ = false;
  bool chunked_ = false;
  bool no_body_ = false;
  bool failed_ = false;
  int status_ = 0;
};

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_CONNECTION_WRITER_H_
