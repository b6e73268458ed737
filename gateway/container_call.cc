#include "gateway/container_call.h"

#include <sys/socket.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/http/splice.h"
#include "glog/logging.h"
#include "lib/base/status_macros.h"
#include "lib/base/unix_socket.h"

namespace berth::gateway {

absl::StatusOr<std::unique_ptr<ContainerStub>> NewContainerStub(
    ServiceResolver* resolver) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                         resolver->ChannelFor(kContainerOwnerJob));
  return v1::ContainerService::NewStub(channel);
}

absl::Status AddResolverRoute(Router& router, ServiceResolver* resolver,
                              const char* method, const char* path,
                              ResolverHandler handler, bool stream_body) {
  return router.Add(
      method, path,
      [resolver, handler](Request& request, ResponseWriter& writer) {
        handler(resolver, request, writer);
      },
      stream_body);
}

absl::StatusOr<int32_t> QueryInt(const Request& request, const char* name,
                                 int32_t fallback) {
  std::string value = request.Query(name);
  if (value.empty()) return fallback;
  int32_t out;
  if (!absl::SimpleAtoi(value, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value for ", name, ": ", value));
  }
  return out;
}

void SpliceToShim(HijackedConn& conn, const std::string& socket,
                  const std::string& hello) {
  absl::StatusOr<UniqueFd> shim = ConnectUnix(socket);
  if (!shim.ok() || send(shim->get(), hello.data(), hello.size(),
                         MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size())) {
    (void)conn.CloseWrite();
    return;
  }
  // Not close_on_client_eof even without stdin: the docker CLI half-closes
  // its side at once then, and still reads the output to its end.
  absl::Status spliced = Splice(conn, shim->get());
  if (!spliced.ok()) VLOG(1) << socket << ": " << spliced;
}

}  // namespace berth::gateway
