#ifndef BERTH_SERVICES_NETD_NETWORK_SERVICE_H_
#define BERTH_SERVICES_NETD_NETWORK_SERVICE_H_

#include <vector>

#include "lib/job/handler_registry.h"
#include "proto/network.grpc.pb.h"
#include "services/netd/network_manager.h"

namespace berth::netd {

// gRPC adapter over NetworkManager.
class NetworkServiceImpl final : public v1::NetworkService::Service {
 public:
  explicit NetworkServiceImpl(NetworkManager* core) : core_(core) {}

  grpc::Status InitDriver(grpc::ServerContext*, const v1::InitDriverRequest*,
                          v1::InitDriverReply* reply) override;
  grpc::Status AllocateInterface(grpc::ServerContext*,
                                 const v1::AllocateInterfaceRequest* request,
                                 v1::NetworkInterface* reply) override;
  grpc::Status ReleaseInterface(grpc::ServerContext*,
                                const v1::ReleaseInterfaceRequest* request,
                                v1::ReleaseInterfaceReply*) override;
  grpc::Status AllocatePort(grpc::ServerContext*,
                            const v1::AllocatePortRequest* request,
                            v1::PortBinding* reply) override;
  grpc::Status ReleasePort(grpc::ServerContext*,
                           const v1::ReleasePortRequest* request,
                           v1::ReleasePortReply*) override;
  grpc::Status Link(grpc::ServerContext*, const v1::LinkRequest* request,
                    v1::LinkReply*) override;
  grpc::Status CreateNetwork(grpc::ServerContext*,
                             const v1::CreateNetworkRequest* request,
                             v1::Network* reply) override;
  grpc::Status InspectNetwork(grpc::ServerContext*,
                              const v1::NetworkRef* request,
                              v1::Network* reply) override;
  grpc::Status ListNetworks(grpc::ServerContext*,
                            const v1::ListNetworksRequest* request,
                            v1::ListNetworksReply* reply) override;
  grpc::Status RemoveNetwork(grpc::ServerContext*,
                             const v1::NetworkRef* request,
                             v1::RemoveNetworkReply*) override;
  grpc::Status PruneNetworks(grpc::ServerContext*,
                             const v1::PruneNetworksRequest* request,
                             v1::PruneNetworksReply* reply) override;

 private:
  NetworkManager* core_;
};

// The seed's network jobs over the same NetworkManager (on the default
// bridge), with the seed's env
// keys, each printing one JSON object:
//   init_networkdriver           the driver's state (settings come from
//                                berthd's flags)
//   allocate_interface ID        env NetnsPath (berth's: the container's
//                                netns), RequestedIP, RequestedMac; prints
//                                IP, Mask, Gateway, Bridge, IPPrefixLen,
//                                MacAddress, HostInterface, Mtu
//   release_interface ID
//   allocate_port ID [SPEC]      env HostIP, HostPort, Proto,
//                                ContainerPort, or SPEC as -p takes it
//                                ([ip:][host_port:]port[/proto]); prints
//                                HostIP, HostPort, Proto, ContainerPort
//   link -I|-A|-D                env ParentIP, ChildIP, Ports (a list of
//                                PORT/PROTO), IgnoreErrors
std::vector<HandlerSpec> NetworkJobs(NetworkManager* core);

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_NETWORK_SERVICE_H_
