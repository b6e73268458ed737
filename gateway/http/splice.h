#ifndef BERTH_GATEWAY_HTTP_SPLICE_H_
#define BERTH_GATEWAY_HTTP_SPLICE_H_

#include "absl/status/status.h"
#include "gateway/http/hijacked_conn.h"

namespace berth::gateway {

struct SpliceOptions {
  // When stdin is not attached the client never sends EOF on purpose: its
  // EOF means it left, so the splice ends at once instead of waiting for
  // the backend to finish.
  bool close_on_client_eof = false;
};

// Pumps bytes both ways between a hijacked client connection and
// `backend_fd` (a connected stream socket, e.g. the shim's attach socket)
// from this one thread with poll(), until the backend's output ends.
//
// - Client EOF: what is left goes to the backend, then
//   shutdown(backend_fd, SHUT_WR), so the container sees stdin end; its
//   output keeps flowing to the client. With close_on_client_eof, returns
//   OK at once instead.
// - Backend EOF: client.CloseWrite(), then returns its status (OK), so the
//   client reads the end of the stream.
// - The client vanishing (read or write error, or its socket hung up after
//   its input ended, as the server's Stop() makes it): returns Unavailable.
// - The backend refusing input (EPIPE): further client bytes are dropped,
//   its output still flows.
// - A backend read error: client.CloseWrite(), then the error.
//
// Neither side is closed; the caller owns backend_fd. Writes to the
// backend never block the loop; writes to the client block while it does
// not read, which bounds what is buffered to 64 KiB per direction.
absl::Status Splice(HijackedConn& client, int backend_fd,
                    SpliceOptions options = {});

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_SPLICE_H_
