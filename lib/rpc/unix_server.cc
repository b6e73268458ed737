#include "lib/rpc/unix_server.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "lib/base/files.h"

namespace berth {

absl::StatusOr<std::unique_ptr<grpc::Server>> StartUnixServer(
    const std::string& path, const std::vector<grpc::Service*>& services) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    absl::Status dirs = MakeDirs(path.substr(0, slash), 0700);
    if (!dirs.ok()) return dirs;
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove stale socket ", path));
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix:", path),
                           grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(64 << 20);
  // Uploads (docker load, import, cp) come as a stream of 1 MiB messages.
  // With HTTP/2's default receive window the sender stalls every few
  // messages until the service has read them; a window of a few messages
  // keeps both sides busy (docker load of 256 MiB: 0.70 s -> 0.52 s).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8 << 20);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", path));
  }
  if (chmod(path.c_str(), 0600) != 0) {
    return ErrnoStatus(errno, absl::StrCat("chmod ", path));
  }
  VLOG(1) << "gRPC listening on " << path;
  return server;
}

}  // namespace berth
