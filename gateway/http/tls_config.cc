#include "gateway/http/tls_config.h"

#include <openssl/ssl.h>

#include <exception>

#include "absl/strings/str_cat.h"

namespace berth::gateway {
namespace {

namespace ssl = boost::asio::ssl;

absl::Status LoadError(absl::string_view what, absl::string_view file,
                       const boost::system::error_code& ec) {
  return absl::InvalidArgumentError(absl::StrCat(
      "could not load TLS ", what, " \"", file, "\": ", ec.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ssl::context>> MakeServerTlsContext(
    const TlsConfig& config) {
  if (config.cert_file.empty() || config.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and a key file");
  }
  if (config.verify_client && config.ca_file.empty()) {
    return absl::InvalidArgumentError(
        "verifying client certificates needs a CA file");
  }
  std::unique_ptr<ssl::context> ctx;
  try {
    ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("could not create a TLS context: ", e.what()));
  }
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  if (ec || SSL_CTX_set_min_proto_version(ctx->native_handle(),
                                          TLS1_2_VERSION) != 1) {
    return absl::InternalError("could not restrict TLS to version 1.2+");
  }
  ctx->use_certificate_chain_file(config.cert_file, ec);
  if (ec) return LoadError("certificate", config.cert_file, ec);
  ctx->use_private_key_file(config.key_file, ssl::context::pem, ec);
  if (ec) return LoadError("key", config.key_file, ec);
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS key \"", config.key_file, "\" does not match certificate \"",
        config.cert_file, "\""));
  }
  if (config.verify_client) {
    ctx->load_verify_file(config.ca_file, ec);
    if (ec) return LoadError("CA", config.ca_file, ec);
    // Advertise the CA, as Go's ClientCAs does, so clients holding several
    // certificates pick the one this server accepts.
    if (STACK_OF(X509_NAME)* names =
            SSL_load_client_CA_file(config.ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert,
                         ec);
    if (ec) return LoadError("verify mode for CA", config.ca_file, ec);
    // Without a session id context OpenSSL refuses resumed sessions once
    // client verification is on.
    static constexpr unsigned char kSessionContext[] = "berth-gateway";
    SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext,
                                   sizeof(kSessionContext) - 1);
  }
  return ctx;
}

}  // namespace berth::gateway
