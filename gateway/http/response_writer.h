#ifndef BERTH_GATEWAY_HTTP_RESPONSE_WRITER_H_
#define BERTH_GATEWAY_HTTP_RESPONSE_WRITER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/http/hijacked_conn.h"
#include "gateway/http/request.h"
#include "nlohmann/json.hpp"

namespace berth::gateway {

// How a handler answers. Exactly one of Send(), StartStream() (followed by
// Write()s and EndStream()) or Hijack() per request. Not thread-safe: call it
// from the thread that runs the handler.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // Sends a complete response with Content-Length. For HEAD requests only
  // the headers go out (Content-Length still tells the body's size). 1xx,
  // 204 and 304 carry no body.
  virtual void Send(int status, const Headers& headers, std::string body) = 0;

  // Sends the status and headers at once with chunked transfer encoding, so
  // a client that waits for headers (the docker CLI on /events, or on
  // wait?condition=removed before it sends start) can proceed. Returns false
  // if the client is gone.
  virtual bool StartStream(int status, const Headers& headers) = 0;

  // Writes and flushes one chunk. Returns false once the client has gone or
  // the server is stopping; the handler should then return.
  virtual bool Write(absl::string_view chunk) = 0;

  // Terminates the chunked body; the connection may then serve the next
  // request. The server calls it if a streaming handler returns without.
  virtual void EndStream() = 0;

  // Non-blocking: true if the peer closed its side or the server is
  // stopping, so a stream with nothing to write can notice and stop.
  virtual bool ClientGone() = 0;

  // True once Send(), StartStream() or Hijack() was called.
  virtual bool responded() const = 0;

  // Hijacks the connection (attach, exec start): writes the status line
  // (101 as Docker's "UPGRADED") and `headers` plus the server's defaults,
  // with no body framing (Content-Length and Transfer-Encoding are dropped;
  // Connection is kept, for "Connection: Upgrade"), and hands over the raw
  // byte stream, starting with any bytes the server had already read past
  // the request. DockerHijackResponse() (hijacked_conn.h) gives dockerd's
  // status and headers. The connection is never reused: once the handler
  // returns, the server closes it, so the HijackedConn must not outlive the
  // handler. Counts as the response; afterwards Write() fails.
  // FailedPrecondition if the handler already answered or a streamed
  // request body is unread; Unavailable if the client is gone.
  virtual absl::StatusOr<std::unique_ptr<HijackedConn>> Hijack(
      int status, const Headers& headers) = 0;

  // Sends `body` serialized as JSON with Content-Type application/json.
  // Invalid UTF-8 in strings is replaced rather than thrown on.
  void SendJson(int status, const nlohmann::json& body);

  // Sends Docker's error shape {"message": "..."}.
  void SendError(int status, absl::string_view message);
};

// Serializes the way dockerd's json.Encoder does: compact, newline-ended,
// never throwing on invalid UTF-8.
std::string JsonBody(const nlohmann::json& body);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_RESPONSE_WRITER_H_
