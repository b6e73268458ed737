#include "gateway/http/splice.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace berth::gateway {
namespace {

// Per direction: a syscall per 64 KiB keeps `docker cp`-sized stdin and
// chatty output cheap without holding much memory per attach.
constexpr size_t kBufferSize = 64 << 10;

absl::Status BackendError(int err, absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat(what, " the backend: ", std::strerror(err)));
}

}  // namespace

absl::Status Splice(HijackedConn& client, int backend_fd,
                    SpliceOptions options) {
  std::vector<char> up(kBufferSize);    // client -> backend
  std::vector<char> down(kBufferSize);  // backend -> client
  size_t up_begin = 0;
  size_t up_end = 0;
  bool client_eof = false;
  bool backend_write_shut = false;
  // The backend closed its input: client bytes are read (to notice EOF or
  // the client leaving) and dropped.
  bool backend_refuses = false;

  while (true) {
    const bool up_pending = up_begin < up_end;
    if (client_eof && !up_pending && !backend_write_shut) {
      backend_write_shut = true;
      // ENOTCONN means the backend is gone; its EOF will end the loop.
      ::shutdown(backend_fd, SHUT_WR);
    }
    // Only read the client while its previous bytes are delivered: the
    // backend paces stdin.
    const bool want_client = !client_eof && !up_pending;
    // Bytes already in user space make the socket look idle; poll() must
    // then only look, not wait.
    const bool client_buffered = want_client && client.HasBuffered();
    // With events 0, poll() still reports POLLHUP and POLLERR: a client
    // at EOF must not be polled for POLLIN, which would stay set forever.
    pollfd fds[2] = {
        {client.fd(), static_cast<short>(want_client ? POLLIN : 0), 0},
        {backend_fd, static_cast<short>(POLLIN | (up_pending ? POLLOUT : 0)),
         0},
    };
    if (::poll(fds, 2, client_buffered ? 0 : -1) < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      return absl::InternalError(
          absl::StrCat("poll in splice: ", std::strerror(err)));
    }
    if (((fds[0].revents | fds[1].revents) & POLLNVAL) != 0) {
      return absl::InternalError("splice: a descriptor was closed under it");
    }

    // Backend -> client.
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t got = ::read(backend_fd, down.data(), down.size());
      if (got > 0) {
        absl::Status status =
            client.WriteAll(absl::string_view(down.data(), got));
        if (!status.ok()) {
          return absl::UnavailableError(
              absl::StrCat("the client went away: ", status.message()));
        }
      } else if (got == 0) {
        return client.CloseWrite();
      } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        const absl::Status error = BackendError(errno, "reading");
        client.CloseWrite().IgnoreError();
        return error;
      }
    }

    // Client bytes waiting -> backend.
    if (up_pending && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      // MSG_DONTWAIT: a backend that reads slowly must not stall its
      // output, and the descriptor's own flags stay the caller's.
      // MSG_NOSIGNAL: a closed backend is EPIPE, not SIGPIPE.
      const ssize_t sent =
          ::send(backend_fd, up.data() + up_begin, up_end - up_begin,
                 MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent > 0) {
        up_begin += static_cast<size_t>(sent);
        if (up_begin == up_end) up_begin = up_end = 0;
      } else if (sent < 0 && (errno == EPIPE || errno == ECONNRESET)) {
        backend_refuses = true;
        up_begin = up_end = 0;
      } else if (sent < 0 && errno != EINTR && errno != EAGAIN &&
                 errno != EWOULDBLOCK) {
        return BackendError(errno, "writing to");
      }
    }

    // Client -> us.
    if (want_client && (client_buffered ||
                        (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0)) {
      absl::StatusOr<size_t> got = client.Read(up.data(), up.size());
      if (!got.ok()) {
        return absl::UnavailableError(
            absl::StrCat("the client went away: ", got.status().message()));
      }
      if (*got == 0) {
        client_eof = true;
        if (options.close_on_client_eof) return absl::OkStatus();
      } else if (!backend_refuses) {
        up_begin = 0;
        up_end = *got;
      }
    } else if (!want_client && (fds[0].revents & (POLLHUP | POLLERR)) != 0) {
      // Hung up in both directions (a unix client that closed, a reset, or
      // the server stopping): nobody will read the output.
      return absl::UnavailableError("the client went away");
    }
  }
}

}  // namespace berth::gateway
