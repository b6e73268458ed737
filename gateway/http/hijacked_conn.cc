#include "gateway/http/hijacked_conn.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/http/api_version.h"

namespace berth::gateway {
namespace {

// Takes errno explicitly: building the message may clobber it.
absl::Status ConnError(int err, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(err)));
}

// Waits for `events` on a socket someone set non-blocking, so that Read()
// and WriteAll() keep their blocking contract either way.
void WaitFor(int fd, short events) {
  pollfd pfd{fd, events, 0};
  while (::poll(&pfd, 1, -1) < 0 && errno == EINTR) {
  }
}

class SocketHijackedConn final : public HijackedConn {
 public:
  SocketHijackedConn(int fd, std::string buffered, bool owns_fd)
      : fd_(fd), buffered_(std::move(buffered)), owns_fd_(owns_fd) {}

  ~SocketHijackedConn() override {
    if (owns_fd_) ::close(fd_);
  }

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
    while (true) {
      const ssize_t got = ::recv(fd_, buf, n, 0);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        WaitFor(fd_, POLLIN);
        continue;
      }
      return ConnError(errno, "reading the hijacked connection");
    }
  }

  absl::Status WriteAll(absl::string_view data) override {
    if (write_closed_) {
      return absl::FailedPreconditionError("write side already closed");
    }
    while (!data.empty()) {
      // MSG_NOSIGNAL: a vanished peer is an error here, not a SIGPIPE.
      const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent >= 0) {
        data.remove_prefix(static_cast<size_t>(sent));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        WaitFor(fd_, POLLOUT);
        continue;
      }
      return ConnError(errno, "writing the hijacked connection");
    }
    return absl::OkStatus();
  }

  absl::Status CloseWrite() override {
    if (write_closed_) return absl::OkStatus();
    write_closed_ = true;
    if (::shutdown(fd_, SHUT_WR) != 0) {
      return ConnError(errno, "half-closing the hijacked connection");
    }
    return absl::OkStatus();
  }

  int fd() const override { return fd_; }

  bool HasBuffered() const override { return offset_ < buffered_.size(); }

 private:
  const int fd_;
  std::string buffered_;
  size_t offset_ = 0;
  const bool owns_fd_;
  bool write_closed_ = false;
};

}  // namespace

std::unique_ptr<HijackedConn> MakeSocketHijackedConn(int fd,
                                                     std::string buffered,
                                                     bool owns_fd) {
  return std::make_unique<SocketHijackedConn>(fd, std::move(buffered), owns_fd);
}

HijackResponse DockerHijackResponse(const Request& req, bool multiplexed) {
  HijackResponse res;
  // moby tests only for the header's presence, not its value.
  if (!req.HasHeader("Upgrade")) {
    res.status = 200;
    res.headers = {{"Content-Type", std::string(kRawStreamType)}};
    return res;
  }
  const bool use_multiplexed =
      multiplexed && CompareApiVersions(req.effective_api_version, "1.42") >= 0;
  res.status = 101;
  res.headers = {
      {"Content-Type",
       std::string(use_multiplexed ? kMultiplexedStreamType : kRawStreamType)},
      {"Connection", "Upgrade"},
      {"Upgrade", "tcp"},
  };
  return res;
}

}  // namespace berth::gateway
