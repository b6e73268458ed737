#ifndef BERTH_GATEWAY_HTTP_HIJACKED_CONN_H_
#define BERTH_GATEWAY_HTTP_HIJACKED_CONN_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/http/request.h"

namespace berth::gateway {

// The raw byte stream of a connection after the HTTP response headers of a
// hijacked request (attach, exec start): what `docker` reads as the
// container's output and writes as its stdin.
//
// Blocking. Not thread-safe: one thread drives both directions (Splice()
// does it with poll() on fd()), because a TLS session cannot be read and
// written from two threads at once. It does not own the connection when the
// server made it: it must not outlive the handler that hijacked, after
// which the server closes the connection.
class HijackedConn {
 public:
  virtual ~HijackedConn() = default;

  // Reads up to `n` (> 0) bytes, blocking until at least one is there.
  // Bytes the server had already read past the request come first. 0 means
  // the peer closed its write side (or, over TLS, sent close_notify or ended
  // the TCP stream without one, as the docker CLI does when stdin ends).
  // Errors mean the peer is gone.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;

  // Writes all of `data`, blocking as long as the peer does not read.
  virtual absl::Status WriteAll(absl::string_view data) = 0;

  // Half-close: the peer reads EOF, while Read() keeps working. Plain
  // sockets shutdown(SHUT_WR); TLS first sends close_notify. Idempotent.
  virtual absl::Status CloseWrite() = 0;

  // The socket underneath, for poll(). Never read or write it directly:
  // bytes may already sit in user space (see HasBuffered()) and TLS frames
  // them.
  virtual int fd() const = 0;

  // True if Read() has bytes without the socket being readable (bytes the
  // server read past the request, decrypted or undecrypted TLS records). A
  // poll() loop must then not wait for the socket, or it waits for data it
  // already holds.
  virtual bool HasBuffered() const = 0;
};

// A HijackedConn over a connected stream socket (unix or TCP). `buffered`
// is handed out by Read() before anything from the socket. With `owns_fd`
// the descriptor is closed with the object.
std::unique_ptr<HijackedConn> MakeSocketHijackedConn(int fd,
                                                     std::string buffered,
                                                     bool owns_fd);

inline constexpr absl::string_view kRawStreamType =
    "application/vnd.docker.raw-stream";
inline constexpr absl::string_view kMultiplexedStreamType =
    "application/vnd.docker.multiplexed-stream";

// What dockerd answers before it hijacks attach and exec start: with an
// Upgrade header in the request, "101 UPGRADED" plus Connection: Upgrade and
// Upgrade: tcp, and the multiplexed content type when the stream is
// multiplexed (no TTY) and the API version is 1.42 or later; without one
// (old clients), 200 OK with the raw-stream type, whatever the stream.
// Needs req.effective_api_version, which the router fills.
struct HijackResponse {
  int status = 0;
  Headers headers;
};
HijackResponse DockerHijackResponse(const Request& req, bool multiplexed);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_HIJACKED_CONN_H_
