#include "services/netd/network_service.h"

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/job/job_output.h"
#include "lib/rpc/status.h"
#include "nlohmann/json.hpp"
#include "services/netd/ports/port_mapping.h"

namespace berth::netd {
namespace {

nlohmann::json InitJson(const v1::InitDriverReply& reply) {
  return {{"Disabled", reply.disabled()},
          {"Bridge", reply.bridge()},
          {"BridgeIP", reply.bridge_address()},
          {"FixedCIDR", reply.allocation_range()},
          {"Mtu", reply.mtu()},
          {"EnableIptables", reply.iptables()},
          {"EnableIpMasq", reply.ip_masq()},
          {"InterContainerCommunication", reply.icc()},
          {"EnableIpForward", reply.ip_forward()},
          {"DefaultBindingIP", reply.default_host_ip()},
          {"ManagedBridge", reply.managed_bridge()}};
}

nlohmann::json InterfaceJson(const v1::NetworkInterface& reply) {
  Ipv4Prefix prefix(Ipv4(0), reply.prefix_length());
  return {{"IP", reply.ip()},
          {"Mask", Ipv4(prefix.mask()).ToString()},
          {"Gateway", reply.gateway()},
          {"Bridge", reply.bridge()},
          {"IPPrefixLen", reply.prefix_length()},
          {"MacAddress", reply.mac_address()},
          {"HostInterface", reply.host_interface()},
          {"Mtu", reply.mtu()}};
}

}  // namespace

grpc::Status NetworkServiceImpl::InitDriver(grpc::ServerContext*,
                                            const v1::InitDriverRequest*,
                                            v1::InitDriverReply* reply) {
  return AnswerWith(core_->InitDriver(), reply);
}

grpc::Status NetworkServiceImpl::AllocateInterface(
    grpc::ServerContext*, const v1::AllocateInterfaceRequest* request,
    v1::NetworkInterface* reply) {
  return AnswerWith(core_->AllocateInterface(*request), reply);
}

grpc::Status NetworkServiceImpl::ReleaseInterface(
    grpc::ServerContext*, const v1::ReleaseInterfaceRequest* request,
    v1::ReleaseInterfaceReply*) {
  return ToGrpcStatus(core_->ReleaseInterface(*request));
}

grpc::Status NetworkServiceImpl::AllocatePort(
    grpc::ServerContext*, const v1::AllocatePortRequest* request,
    v1::PortBinding* reply) {
  return AnswerWith(core_->AllocatePort(*request), reply);
}

grpc::Status NetworkServiceImpl::ReleasePort(
    grpc::ServerContext*, const v1::ReleasePortRequest* request,
    v1::ReleasePortReply*) {
  return ToGrpcStatus(core_->ReleasePort(*request));
}

grpc::Status NetworkServiceImpl::Link(grpc::ServerContext*,
                                      const v1::LinkRequest* request,
                                      v1::LinkReply*) {
  return ToGrpcStatus(core_->Link(*request));
}

grpc::Status NetworkServiceImpl::CreateNetwork(
    grpc::ServerContext*, const v1::CreateNetworkRequest* request,
    v1::Network* reply) {
  return AnswerWith(core_->Create(request->config()), reply);
}

grpc::Status NetworkServiceImpl::InspectNetwork(grpc::ServerContext*,
                                                const v1::NetworkRef* request,
                                                v1::Network* reply) {
  return AnswerWith(core_->Inspect(request->id()), reply);
}

grpc::Status NetworkServiceImpl::ListNetworks(
    grpc::ServerContext*, const v1::ListNetworksRequest* request,
    v1::ListNetworksReply* reply) {
  return AnswerWith(core_->List(*request), reply);
}

grpc::Status NetworkServiceImpl::RemoveNetwork(grpc::ServerContext*,
                                               const v1::NetworkRef* request,
                                               v1::RemoveNetworkReply*) {
  return ToGrpcStatus(core_->Remove(request->id()));
}

grpc::Status NetworkServiceImpl::PruneNetworks(
    grpc::ServerContext*, const v1::PruneNetworksRequest* request,
    v1::PruneNetworksReply* reply) {
  return AnswerWith(core_->Prune(*request), reply);
}

std::vector<HandlerSpec> NetworkJobs(NetworkManager* core) {
  auto init = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 0, 0, "init_networkdriver"));
    BERTH_ASSIGN_OR_RETURN(v1::InitDriverReply reply, core->InitDriver());
    PrintJson(job, InitJson(reply));
    return absl::OkStatus();
  };
  auto allocate_interface = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "allocate_interface ID"));
    v1::AllocateInterfaceRequest request;
    request.set_container_id(job.args()[0]);
    request.set_netns_path(job.env().Get("NetnsPath"));
    request.set_requested_ip(job.env().Get("RequestedIP"));
    request.set_mac_address(job.env().Get("RequestedMac"));
    BERTH_ASSIGN_OR_RETURN(v1::NetworkInterface reply,
                           core->AllocateInterface(request));
    PrintJson(job, InterfaceJson(reply));
    return absl::OkStatus();
  };
  auto release_interface = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "release_interface ID"));
    v1::ReleaseInterfaceRequest request;
    request.set_container_id(job.args()[0]);
    return core->ReleaseInterface(request);
  };
  auto allocate_port = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(
        job, 1, 2, "allocate_port ID [[ip:][host_port:]port[/proto]]"));
    v1::AllocatePortRequest request;
    request.set_container_id(job.args()[0]);
    if (job.args().size() == 2) {
      BERTH_ASSIGN_OR_RETURN(PortSpec spec, ParsePortSpec(job.args()[1]));
      if (spec.host_ip_given) request.set_host_ip(spec.host_ip.ToString());
      request.set_host_port(spec.host_port);
      request.set_protocol(std::string(ProtocolName(spec.protocol)));
      request.set_container_port(spec.container_port);
    } else {
      request.set_host_ip(job.env().Get("HostIP"));
      BERTH_ASSIGN_OR_RETURN(int64_t host_port, job.env().GetInt("HostPort"));
      BERTH_ASSIGN_OR_RETURN(int64_t container_port,
                             job.env().GetInt("ContainerPort"));
      request.set_host_port(static_cast<int32_t>(host_port));
      request.set_container_port(static_cast<int32_t>(container_port));
      request.set_protocol(job.env().Get("Proto"));
    }
    BERTH_ASSIGN_OR_RETURN(v1::PortBinding reply, core->AllocatePort(request));
    PrintJson(job, {{"HostIP", reply.host_ip()},
                    {"HostPort", reply.host_port()},
                    {"Proto", reply.protocol()},
                    {"ContainerPort", reply.container_port()}});
    return absl::OkStatus();
  };
  auto link = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "link -I|-A|-D"));
    const std::string& action = job.args()[0];
    v1::LinkRequest request;
    if (action == "-I" || action == "-A") {
      request.set_action(v1::LinkRequest::ADD);
    } else if (action == "-D") {
      request.set_action(v1::LinkRequest::REMOVE);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "link: unknown action \"", action, "\": use -I (add) or -D"));
    }
    request.set_parent_ip(job.env().Get("ParentIP"));
    request.set_child_ip(job.env().Get("ChildIP"));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> ports,
                           job.env().GetList("Ports"));
    for (std::string& port : ports) request.add_ports(std::move(port));
    request.set_ignore_errors(job.env().GetBool("IgnoreErrors"));
    return core->Link(request);
  };
  return {{"init_networkdriver", init},
          {"allocate_interface", allocate_interface},
          {"release_interface", release_interface},
          {"allocate_port", allocate_port},
          {"link", link}};
}

}  // namespace berth::netd
