#ifndef BERTH_GATEWAY_HTTP_FAKE_RESPONSE_WRITER_H_
#define BERTH_GATEWAY_HTTP_FAKE_RESPONSE_WRITER_H_

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/http/hijacked_conn.h"
#include "gateway/http/response_writer.h"

namespace berth::gateway {

// Records what a handler wrote, for handler and router tests that need no
// socket.
class FakeResponseWriter : public ResponseWriter {
 public:
  void Send(int status, const Headers& headers, std::string body) override {
    responded_ = true;
    this->status = status;
    this->headers = headers;
    this->body = std::move(body);
  }
  bool StartStream(int status, const Headers& headers) override {
    responded_ = true;
    streaming = true;
    this->status = status;
    this->headers = headers;
    return !client_gone;
  }
  bool Write(absl::string_view chunk) override {
    if (client_gone) return false;
    chunks.emplace_back(chunk);
    body.append(chunk.data(), chunk.size());
    return true;
  }
  void EndStream() override { ended = true; }
  bool ClientGone() override { return client_gone; }
  bool responded() const override { return responded_; }

  // Hands the handler one end of a socketpair; the test plays the client
  // on the other, hijack_client_fd(). hijack_buffered stands for bytes the
  // server had read past the request.
  absl::StatusOr<std::unique_ptr<HijackedConn>> Hijack(
      int status, const Headers& headers) override {
    if (responded_) {
      return absl::FailedPreconditionError("the handler already answered");
    }
    responded_ = true;
    hijacked = true;
    this->status = status;
    this->headers = headers;
    if (client_gone) return absl::UnavailableError("client gone");
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      const int err = errno;
      return absl::InternalError(
          absl::StrCat("socketpair: ", std::strerror(err)));
    }
    client_fd_ = Fd(fds[1]);
    return MakeSocketHijackedConn(fds[0], std::move(hijack_buffered),
                                  /*owns_fd=*/true);
  }

  // The client's end after Hijack(), owned by this writer; -1 before.
  int hijack_client_fd() const { return client_fd_.get(); }

  std::string Header(absl::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (absl::EqualsIgnoreCase(key, name)) return value;
    }
    return "";
  }

  int status = 0;
  Headers headers;
  std::string body;
  std::vector<std::string> chunks;
  bool streaming = false;
  bool ended = false;
  bool hijacked = false;
  // Set by a test to simulate a client that hung up.
  bool client_gone = false;
  // Read from the hijacked connection before anything the client sends.
  std::string hijack_buffered;

 private:
  // Move-only, so that tests can still return writers by value.
  class Fd {
   public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
      if (this != &other) {
        Reset();
        fd_ = std::exchange(other.fd_, -1);
      }
      return *this;
    }
    ~Fd() { Reset(); }
    int get() const { return fd_; }

   private:
    void Reset() {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
    }
    int fd_ = -1;
  };

  bool responded_ = false;
  Fd client_fd_;
};

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_FAKE_RESPONSE_WRITER_H_
