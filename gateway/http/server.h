#ifndef BERTH_GATEWAY_HTTP_SERVER_H_
#define BERTH_GATEWAY_HTTP_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/http/gate.h"
#include "gateway/http/request.h"
#include "gateway/http/router.h"
#include "gateway/http/tls_config.h"

namespace berth::gateway {

struct ServerConfig {
  Router router;
  // Applies to every TCP listener (including TCP sockets from fd://).
  std::optional<TlsConfig> tls;
  // Plain TCP on a non-loopback address gives root to anyone who can reach
  // it, so it needs TLS or this explicit opt-in.
  bool allow_insecure_tcp = false;
  // --api-cors-header: when set, every response carries the CORS headers
  // and OPTIONS is answered 200 on any path.
  std::string cors_header;
  // Group that owns unix sockets (--group). Empty: leave the group alone.
  std::string socket_group = "docker";
  // The operator named the group: a missing group is then an error rather
  // than a warning, as in dockerd.
  bool socket_group_explicit = false;
  // Not owned; must outlive the Server. Null: requests never wait.
  Gate* gate = nullptr;
  // How long a request waits for the gate before a 503.
  absl::Duration gate_timeout = absl::Seconds(30);
  uint64_t body_limit = uint64_t{4} << 30;
  uint32_t header_limit = 1 << 20;
  // Added to every response unless the handler set the same field; for
  // fields dockerd puts on all answers, errors included (Server, Api-Version).
  Headers default_headers;
};

// HTTP/1.1 server for the Docker Engine API on unix, TCP (optionally TLS)
// and systemd-activated sockets. One thread per listener and one per
// connection, blocking I/O with keep-alive: the number of concurrent API
// clients is small and streams (events, logs) are long, so threads are
// simpler than an event loop and cost little.
class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();  // Stop()s.
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds `host` (unix:///path, tcp://host:port, fd://[N|NAME]) and returns
  // the bound address (the resolved port for tcp port 0; for fd://, the
  // adopted sockets' addresses, comma-separated). Accepting begins at
  // Start(), or at once if the server is already started.
  absl::StatusOr<std::string> Listen(absl::string_view host);

  // Starts accepting on every listener.
  void Start();

  // Closes the listeners (removing the unix socket files it created), ends
  // live connections including long streams, and joins all threads.
  // Blocked reads and writes are woken; a streaming handler must return once
  // Write() fails or ClientGone() is true, which both turn so at once. A
  // hijacked connection's socket is shut down both ways, which ends
  // Splice() and fails its reads and writes.
  // Idempotent; the server cannot be restarted.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_SERVER_H_
