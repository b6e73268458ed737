#ifndef BERTH_GATEWAY_HTTP_TEST_CERTS_H_
#define BERTH_GATEWAY_HTTP_TEST_CERTS_H_

// Throwaway certificates for the TLS tests, made with the openssl CLI.

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace berth::gateway::http_test {

// Writes into `dir`: a CA (ca.pem, ca-key.pem), a server certificate for
// 127.0.0.1 and localhost signed by it (server.pem, server-key.pem), a
// client certificate signed by it (client.pem, client-key.pem) and a
// self-signed "rogue" client certificate (rogue.pem, rogue-key.pem).
inline absl::Status MakeTestCerts(const std::string& dir) {
  const std::string key =
      "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string script = absl::StrCat(
      "set -e; cd '", dir, "'; O=/usr/bin/openssl;", "$O req -x509 ", key,
      " -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=berth-test-ca;",
      "$O req ", key,
      " -keyout server-key.pem -out server.csr -subj /CN=localhost;",
      "printf "
      "'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage="
      "serverAuth\\n' > server.ext;",
      "$O x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem "
      "-CAcreateserial -out server.pem -days 2 -extfile server.ext;",
      "$O req ", key,
      " -keyout client-key.pem -out client.csr -subj /CN=client;",
      "printf 'extendedKeyUsage=clientAuth\\n' > client.ext;",
      "$O x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem "
      "-CAcreateserial -out client.pem -days 2 -extfile client.ext;",
      "$O req -x509 ", key,
      " -keyout rogue-key.pem -out rogue.pem -days 2 -subj /CN=rogue;");
  const std::string script_file = absl::StrCat(dir, "/gen.sh");
  {
    std::ofstream out(script_file);
    out << script;
  }
  const std::string command = absl::StrCat("/bin/sh '", script_file, "' > '",
                                           dir, "/openssl.log' 2>&1");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("openssl failed; see ", dir, "/openssl.log"));
  }
  return absl::OkStatus();
}

}  // namespace berth::gateway::http_test

#endif  // BERTH_GATEWAY_HTTP_TEST_CERTS_H_
