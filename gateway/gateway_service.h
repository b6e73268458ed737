#ifndef BERTH_GATEWAY_GATEWAY_SERVICE_H_
#define BERTH_GATEWAY_GATEWAY_SERVICE_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/http/gate.h"
#include "gateway/http/server.h"
#include "gateway/service_resolver.h"
#include "lib/job/handler_registry.h"
#include "proto/config.pb.h"
#include "proto/gateway.grpc.pb.h"

namespace berth::gateway {

// serveapi and acceptconnections: the HTTP server on the -H hosts and the
// gate that holds requests until the daemon is up.
class GatewayCore {
 public:
  explicit GatewayCore(const v1::DaemonConfig& config);
  ~GatewayCore();

  // Listens on every host of `request`; one server serves them all, so a
  // later call must use the same TLS, CORS and group settings.
  absl::StatusOr<v1::ServeApiReply> ServeApi(
      const v1::ServeApiRequest& request);
  void AcceptConnections();
  void Stop();

  // The jobs, as adapters over the two calls above. serveapi takes the
  // hosts as args; env Tls, TlsVerify, TlsCa, TlsCert, TlsKey, CorsHeaders
  // and SocketGroup override the daemon config, as in the seed.
  std::vector<HandlerSpec> Jobs();

 private:
  const v1::DaemonConfig config_;
  ServiceResolver resolver_;
  Gate gate_;
  absl::Mutex mu_;
  std::unique_ptr<Server> server_ ABSL_GUARDED_BY(mu_);
  std::string server_settings_ ABSL_GUARDED_BY(mu_);
};

class GatewayServiceImpl final : public v1::Gateway::Service {
 public:
  explicit GatewayServiceImpl(GatewayCore* core) : core_(core) {}

  grpc::Status ServeApi(grpc::ServerContext*,
                        const v1::ServeApiRequest* request,
                        v1::ServeApiReply* reply) override;
  grpc::Status AcceptConnections(grpc::ServerContext*,
                                 const v1::AcceptConnectionsRequest*,
                                 v1::AcceptConnectionsReply*) override;

 private:
  GatewayCore* core_;
};

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_GATEWAY_SERVICE_H_
