#ifndef BERTH_GATEWAY_HTTP_CONNECTION_WRITER_H_
#define BERTH_GATEWAY_HTTP_CONNECTION_WRITER_H_

#include <poll.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/http/hijacked_conn.h"
#include "gateway/http/request.h"
#include "gateway/http/response_writer.h"
#include "gateway/http/tls_hijacked_conn.h"
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

// dockerd writes "HTTP/1.1 101 UPGRADED" by hand, and clients that match
// the whole line should see the same.
inline std::string ReasonPhrase(int status) {
  if (status == 101) return "UPGRADED";
  return std::string(boost::beast::http::obsolete_reason(
      static_cast<boost::beast::http::status>(status)));
}

// Hand-written header lines must not let a value end the header early.
inline bool IsCleanField(absl::string_view name, absl::string_view value) {
  return !name.empty() && name.find_first_of(":\r\n") == name.npos &&
         value.find_first_of("\r\n") == value.npos;
}

// The raw stream of a hijacked connection. Plain sockets are read and
// written on the descriptor; TLS goes through the session.
template <class Socket>
std::unique_ptr<HijackedConn> WrapHijacked(Socket& /*socket*/, int fd,
                                           std::string buffered) {
  return MakeSocketHijackedConn(fd, std::move(buffered), /*owns_fd=*/false);
}

inline std::unique_ptr<HijackedConn> WrapHijacked(
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream, int /*fd*/,
    std::string buffered) {
  return MakeTlsHijackedConn(stream, std::move(buffered));
}

}  // namespace http_internal

// The ResponseWriter over one server connection, for one request. `Stream`
// is a tcp socket, a unix socket or an ssl::stream over a tcp socket; `fd`
// is the descriptor underneath, polled by ClientGone().
//
// Hijack() needs the server's read buffer (EnableHijack()): the bytes it
// holds past the request belong to the raw stream.
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

  absl::StatusOr<std::unique_ptr<HijackedConn>> Hijack(
      int status, const Headers& headers) override {
    if (read_buffer_ == nullptr) {
      return absl::FailedPreconditionError(
          "this request's connection cannot be hijacked");
    }
    if (body_done_ && !body_done_()) {
      // The unread rest of the body would pass for stream data.
      return absl::FailedPreconditionError(
          "cannot hijack before the request body is read");
    }
    if (!BeginResponse(status)) {
      return absl::FailedPreconditionError("the handler already answered");
    }
    hijacked_ = true;
    // The server checks this after the handler: it closes the connection
    // rather than parse the raw stream as another request.
    keep_alive_ = false;
    // By hand rather than through Beast: the reason phrase must be
    // dockerd's, and nothing may add framing fields.
    std::string head =
        absl::StrCat("HTTP/1.1 ", status_, " ",
                     http_internal::ReasonPhrase(status_), "\r\n");
    auto add = [&head](const std::string& name, const std::string& value) {
      if (!http_internal::IsCleanField(name, value)) {
        LOG(ERROR) << "dropping malformed header field " << name;
        return;
      }
      absl::StrAppend(&head, name, ": ", value, "\r\n");
    };
    // Handler fields first, then the defaults, as dockerd orders them.
    for (const auto& [name, value] : headers) {
      if (!absl::EqualsIgnoreCase(name, "Content-Length") &&
          !absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
        add(name, value);
      }
    }
    for (const auto& [name, value] : defaults_) {
      if (!http_internal::HasField(headers, name)) add(name, value);
    }
    head += "\r\n";
    boost::beast::error_code ec;
    boost::asio::write(stream_, boost::asio::buffer(head), ec);
    if (ec) {
      Fail(ec);
      return absl::UnavailableError(
          absl::StrCat("writing the hijack response: ", ec.message()));
    }
    std::string buffered =
        boost::beast::buffers_to_string(read_buffer_->data());
    read_buffer_->consume(read_buffer_->size());
    return http_internal::WrapHijacked(stream_, fd_, std::move(buffered));
  }

  bool responded() const override { return responded_; }

  // Lets Hijack() work: `buffer` is the connection's read buffer, and
  // `body_done` says whether the request body has been read to its end.
  // Both must outlive this writer.
  void EnableHijack(boost::beast::flat_buffer* buffer,
                    std::function<bool()> body_done) {
    read_buffer_ = buffer;
    body_done_ = std::move(body_done);
  }

  // For answers sent while part of the request is still unread: the
  // server closes such connections, so the response must say so.
  void DisableKeepAlive() { keep_alive_ = false; }

  int status() const { return status_; }
  bool failed() const { return failed_; }
  bool keep_alive() const { return keep_alive_; }
  bool streaming() const { return streaming_; }
  bool hijacked() const { return hijacked_; }

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
    if (status_ == 101) res.reason(http_internal::ReasonPhrase(status_));
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
  bool hijacked_ = false;
  int status_ = 0;
  boost::beast::flat_buffer* read_buffer_ = nullptr;
  std::function<bool()> body_done_;
};

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_CONNECTION_WRITER_H_
