#ifndef BERTH_GATEWAY_HTTP_TLS_CONFIG_H_
#define BERTH_GATEWAY_HTTP_TLS_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ssl/context.hpp"

namespace berth::gateway {

// dockerd's --tlscacert/--tlscert/--tlskey/--tlsverify.
struct TlsConfig {
  std::string ca_file;    // PEM; required when verify_client is set
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM
  // Require a client certificate that chains to ca_file (--tlsverify).
  bool verify_client = false;
};

// A TLS 1.2+ server context for `config`; InvalidArgument naming the file
// that could not be loaded.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsConfig& config);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_TLS_CONFIG_H_
