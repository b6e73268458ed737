#include "gateway/http/tls_hijacked_conn.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/ssl.hpp"
#include "boost/asio/write.hpp"

namespace berth::gateway {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using TlsStream = ssl::stream<net::ip::tcp::socket>;

// Sends all of `data` on a socket, blocking, without SIGPIPE.
absl::Status SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent >= 0) {
      data.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd pfd{fd, POLLOUT, 0};
      ::poll(&pfd, 1, -1);
      continue;
    }
    const int err = errno;
    return absl::UnavailableError(
        absl::StrCat("sending close_notify: ", std::strerror(err)));
  }
  return absl::OkStatus();
}

// Asio's stream keeps the session behind a BIO pair it owns, and offers no
// one-way shutdown: its shutdown() sends close_notify and then reads until
// the peer's, discarding the stdin still in flight. So CloseWrite() lets
// OpenSSL write close_notify into a memory BIO swapped in as the session's
// write BIO for that one call, sends those bytes itself, and swaps the pair
// back. Reading stays on Asio's path, and OpenSSL allows SSL_read() after
// this first SSL_shutdown() for exactly this use. Every completed Asio write
// has flushed the pair, so nothing queued there is reordered.
class TlsHijackedConn final : public HijackedConn {
 public:
  TlsHijackedConn(TlsStream& stream, std::string buffered)
      : stream_(stream),
        ssl_(stream.native_handle()),
        fd_(stream.next_layer().native_handle()),
        buffered_(std::move(buffered)) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (n == 0) return absl::InvalidArgumentError("Read into an empty buffer");
    if (offset_ < buffered_.size()) {
      const size_t take = std::min(n, buffered_.size() - offset_);
      std::memcpy(buf, buffered_.data() + offset_, take);
      offset_ += take;
      if (offset_ == buffered_.size()) {
        std::string().swap(buffered_);
        offset_ = 0;
      }
      return take;
    }
    if (read_eof_) return size_t{0};
    while (true) {
      boost::system::error_code ec;
      const size_t got = stream_.read_some(net::buffer(buf, n), ec);
      if (got > 0) return got;
      if (!ec) continue;
      // stream_truncated: the TCP stream ended without close_notify, which
      // is how the docker CLI closes stdin over TLS.
      if (ec == net::error::eof || ec == ssl::error::stream_truncated) {
        read_eof_ = true;
        return size_t{0};
      }
      return absl::UnavailableError(
          absl::StrCat("reading the hijacked TLS connection: ", ec.message()));
    }
  }

  absl::Status WriteAll(absl::string_view data) override {
    if (write_closed_) {
      return absl::FailedPreconditionError("write side already closed");
    }
    boost::system::error_code ec;
    net::write(stream_, net::buffer(data.data(), data.size()), ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("writing the hijacked TLS connection: ", ec.message()));
    }
    return absl::OkStatus();
  }

  absl::Status CloseWrite() override {
    if (write_closed_) return absl::OkStatus();
    write_closed_ = true;
    absl::Status status = SendCloseNotify();
    if (::shutdown(fd(), SHUT_WR) != 0 && status.ok()) {
      const int err = errno;
      status = absl::UnavailableError(absl::StrCat(
          "half-closing the hijacked TLS connection: ", std::strerror(err)));
    }
    return status;
  }

  int fd() const override { return fd_; }

  bool HasBuffered() const override {
    if (offset_ < buffered_.size()) return true;
    // SSL_pending: decrypted bytes of a record read only in part. The read
    // BIO's pending count: records Asio already took off the socket that
    // OpenSSL has not decrypted yet (Asio reads up to 17 KiB at a time).
    return ::SSL_pending(ssl_) > 0 ||
           ::BIO_ctrl_pending(::SSL_get_rbio(ssl_)) > 0;
  }

 private:
  absl::Status SendCloseNotify() {
    if ((::SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0) {
      return absl::OkStatus();
    }
    BIO* memory = ::BIO_new(::BIO_s_mem());
    if (memory == nullptr) return absl::ResourceExhaustedError("BIO_new");
    BIO* pair = ::SSL_get_wbio(ssl_);
    // SSL_set0_wbio() drops a reference to the BIO it replaces; the pair
    // must survive to be put back.
    ::BIO_up_ref(pair);
    ::SSL_set0_wbio(ssl_, memory);
    ::ERR_clear_error();
    const int result = ::SSL_shutdown(ssl_);
    const int error = result < 0 ? ::SSL_get_error(ssl_, result) : 0;
    char* data = nullptr;
    const long size = BIO_get_mem_data(memory, &data);
    const std::string alert =
        size > 0 ? std::string(data, static_cast<size_t>(size)) : "";
    // Frees the memory BIO and hands the reference taken above back.
    ::SSL_set0_wbio(ssl_, pair);
    ::ERR_clear_error();
    if (result < 0 && alert.empty()) {
      return absl::InternalError(
          absl::StrCat("SSL_shutdown failed: SSL error ", error));
    }
    return SendAll(fd(), alert);
  }

  TlsStream& stream_;
  SSL* const ssl_;
  const int fd_;
  std::string buffered_;
  size_t offset_ = 0;
  bool read_eof_ = false;
  bool write_closed_ = false;
};

}  // namespace

std::unique_ptr<HijackedConn> MakeTlsHijackedConn(TlsStream& stream,
                                                  std::string buffered) {
  return std::make_unique<TlsHijackedConn>(stream, std::move(buffered));
}

}  // namespace berth::gateway
