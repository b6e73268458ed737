#include "services/daemon/containers/container_network.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "grpcpp/client_context.h"
#include "lib/base/status_macros.h"
#include "lib/rpc/status.h"
#include "nlohmann/json.hpp"

namespace berth {
namespace {

using nlohmann::json;

// netd's calls are a handful of netlink and iptables requests.
constexpr absl::Duration kNetdDeadline = absl::Seconds(30);

absl::StatusOr<int> ParsePort(absl::string_view text) {
  int port = 0;
  if (!absl::SimpleAtoi(text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port \"", text, "\": must be 1-65535"));
  }
  return port;
}

// "8080", "8000-8010" or "" (ephemeral).
absl::StatusOr<std::pair<int, int>> ParseHostPorts(absl::string_view text) {
  if (text.empty()) return std::pair<int, int>{0, 0};
  std::vector<absl::string_view> bounds = absl::StrSplit(text, '-');
  if (bounds.size() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid host port range \"", text, "\""));
  }
  BERTH_ASSIGN_OR_RETURN(int first, ParsePort(bounds[0]));
  int last = first;
  if (bounds.size() == 2) {
    BERTH_ASSIGN_OR_RETURN(last, ParsePort(bounds[1]));
  }
  if (last < first) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid host port range \"", text, "\""));
  }
  return std::pair<int, int>{first, last};
}

using NetdStub = v1::NetworkService::StubInterface;

// One call to berth-netd, with its deadline.
template <typename Request, typename Reply>
absl::Status CallNetd(NetdStub* netd,
                      grpc::Status (NetdStub::*method)(grpc::ClientContext*,
                                                       const Request&, Reply*),
                      const Request& request, Reply* reply) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kNetdDeadline));
  return FromGrpcStatus((netd->*method)(&context, request, reply));
}

}  // namespace

absl::StatusOr<std::pair<int, std::string>> ParsePortKey(
    absl::string_view key) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(key, absl::MaxSplits('/', 1));
  std::string protocol =
      parts.second.empty() ? "tcp" : absl::AsciiStrToLower(parts.second);
  if (protocol != "tcp" && protocol != "udp") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid proto \"", parts.second, "\" in \"", key, "\""));
  }
  BERTH_ASSIGN_OR_RETURN(int port, ParsePort(parts.first));
  return std::pair<int, std::string>{port, protocol};
}

absl::StatusOr<std::vector<PortRequest>> PortsToPublish(
    const v1::ContainerDetail& container) {
  std::vector<PortRequest> requests;
  std::map<std::pair<int, std::string>, bool> bound;
  for (const auto& [key, bindings_text] :
       container.host_config().port_bindings_json()) {
    BERTH_ASSIGN_OR_RETURN(auto port, ParsePortKey(key));
    bound[port] = true;
    json bindings = json::parse(bindings_text, nullptr, false);
    if (bindings.is_null()) bindings = json::array({json::object()});
    if (!bindings.is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat("PortBindings[\"", key, "\"] must be a list"));
    }
    for (const json& binding : bindings) {
      if (!binding.is_object()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "PortBindings[\"", key, "\"] must hold HostIp/HostPort objects"));
      }
      PortRequest request;
      request.key = absl::StrCat(port.first, "/", port.second);
      request.container_port = port.first;
      request.protocol = port.second;
      request.host_ip = binding.value("HostIp", "");
      BERTH_ASSIGN_OR_RETURN(auto host_ports,
                             ParseHostPorts(binding.value("HostPort", "")));
      request.host_port_first = host_ports.first;
      request.host_port_last = host_ports.second;
      requests.push_back(std::move(request));
    }
  }
  if (container.host_config().publish_all_ports()) {
    for (const std::string& key : container.config().exposed_ports()) {
      BERTH_ASSIGN_OR_RETURN(auto port, ParsePortKey(key));
      if (bound.contains(port)) continue;
      PortRequest request;
      request.key = absl::StrCat(port.first, "/", port.second);
      request.container_port = port.first;
      request.protocol = port.second;
      requests.push_back(std::move(request));
    }
  }
  std::stable_sort(requests.begin(), requests.end(),
                   [](const PortRequest& a, const PortRequest& b) {
                     return std::tie(a.container_port, a.protocol) <
                            std::tie(b.container_port, b.protocol);
                   });
  return requests;
}

absl::StatusOr<std::string> NormalizeLink(absl::string_view link,
                                          absl::string_view parent_name) {
  std::vector<absl::string_view> parts = absl::StrSplit(link, ':');
  if (parts.size() > 2 || parts[0].empty() ||
      (parts.size() == 2 && parts[1].empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid link \"", link, "\": use name:alias"));
  }
  absl::string_view child = absl::StripPrefix(parts[0], "/");
  absl::string_view alias =
      parts.size() == 2 ? absl::StripPrefix(parts[1], "/") : child;
  return absl::StrCat("/", child, ":", parent_name, "/", alias);
}

absl::StatusOr<LinkSpec> ParseLink(absl::string_view recorded) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(recorded, absl::MaxSplits(':', 1));
  size_t slash = parts.second.rfind('/');
  if (parts.first.empty() || slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid recorded link \"", recorded, "\""));
  }
  return LinkSpec{std::string(parts.first),
                  std::string(parts.second.substr(slash + 1))};
}

std::vector<std::string> LinkEnv(const std::string& parent_name,
                                 const LinkedChild& link) {
  std::string prefix =
      absl::AsciiStrToUpper(absl::StrReplaceAll(link.alias, {{"-", "_"}}));
  std::vector<std::pair<int, std::string>> ports;
  for (const std::string& key : link.child->config().exposed_ports()) {
    absl::StatusOr<std::pair<int, std::string>> port = ParsePortKey(key);
    if (port.ok()) ports.push_back(*port);
  }
  std::sort(ports.begin(), ports.end());
  std::vector<std::string> env;
  env.push_back(absl::StrCat(prefix, "_NAME=", parent_name, "/", link.alias));
  if (!ports.empty()) {
    env.push_back(absl::StrCat(prefix, "_PORT=", ports[0].second, "://",
                               link.ip, ":", ports[0].first));
  }
  for (const auto& [port, protocol] : ports) {
    std::string name = absl::StrCat(prefix, "_PORT_", port, "_",
                                    absl::AsciiStrToUpper(protocol));
    env.push_back(absl::StrCat(name, "=", protocol, "://", link.ip, ":", port));
    env.push_back(absl::StrCat(name, "_ADDR=", link.ip));
    env.push_back(absl::StrCat(name, "_PORT=", port));
    env.push_back(absl::StrCat(name, "_PROTO=", protocol));
  }
  for (const std::string& variable : link.child->config().env()) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(variable, absl::MaxSplits('=', 1));
    if (kv.first == "HOME" || kv.first == "HOSTNAME" || kv.first == "PATH") {
      continue;
    }
    env.push_back(absl::StrCat(prefix, "_ENV_", kv.first, "=", kv.second));
  }
  return env;
}

std::string LinkHostsLine(const LinkedChild& link) {
  std::string names = link.alias;
  const std::string& hostname = link.child->config().hostname();
  if (!hostname.empty() && hostname != link.alias) {
    absl::StrAppend(&names, " ", hostname);
  }
  absl::string_view name = absl::StripPrefix(link.child->name(), "/");
  if (name != link.alias) absl::StrAppend(&names, " ", name);
  return absl::StrCat(link.ip, "\t", names, "\n");
}

ContainerNetwork::ContainerNetwork(v1::NetworkService::StubInterface* netd)
    : netd_(netd) {}

absl::StatusOr<bool> ContainerNetwork::Enabled() {
  if (netd_ == nullptr) return false;
  absl::MutexLock lock(&mu_);
  if (!known_) {
    v1::InitDriverReply reply;
    absl::Status status =
        CallNetd(netd_, &NetdStub::InitDriver, v1::InitDriverRequest(), &reply);
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat("berth-netd: ", status.message()));
    }
    enabled_ = !reply.disabled();
    known_ = true;
  }
  return enabled_;
}

absl::StatusOr<v1::Network> ContainerNetwork::Lookup(const std::string& ref) {
  if (netd_ == nullptr) {
    return absl::NotFoundError(absl::StrCat("network ", ref, " not found"));
  }
  v1::NetworkRef request;
  request.set_id(ref);
  v1::Network reply;
  BERTH_RETURN_IF_ERROR(
      CallNetd(netd_, &NetdStub::InspectNetwork, request, &reply));
  return reply;
}

absl::StatusOr<v1::EndpointSettings> ContainerNetwork::Attach(
    const v1::ContainerDetail& container, const std::string& netns,
    const std::string& network, const std::string& interface_name,
    std::string* bridge) {
  if (netd_ == nullptr) {
    return absl::NotFoundError(absl::StrCat("network ", network, " not found"));
  }
  v1::AllocateInterfaceRequest request;
  request.set_container_id(container.id());
  request.set_container_name(container.name());
  request.set_netns_path(netns);
  request.set_network(network);
  request.set_interface_name(interface_name);
  v1::NetworkInterface interface;
  BERTH_RETURN_IF_ERROR(
      CallNetd(netd_, &NetdStub::AllocateInterface, request, &interface));
  v1::EndpointSettings endpoint;
  if (auto it = container.network_settings().networks().find(network);
      it != container.network_settings().networks().end()) {
    endpoint = it->second;
  }
  endpoint.set_network_id(interface.network_id());
  endpoint.set_endpoint_id(interface.host_interface());
  endpoint.set_gateway(interface.gateway());
  endpoint.set_ip_address(interface.ip());
  endpoint.set_ip_prefix_len(interface.prefix_length());
  endpoint.set_mac_address(interface.mac_address());
  endpoint.set_interface_name(interface.interface_name());
  if (bridge != nullptr) *bridge = interface.bridge();
  return endpoint;
}

absl::Status ContainerNetwork::Detach(const std::string& container_id,
                                      const std::string& network) {
  if (netd_ == nullptr) return absl::OkStatus();
  v1::ReleaseInterfaceRequest request;
  request.set_container_id(container_id);
  // By name: "" would release every network.
  request.set_network(network);
  v1::ReleaseInterfaceReply reply;
  return CallNetd(netd_, &NetdStub::ReleaseInterface, request, &reply);
}

absl::StatusOr<v1::NetworkSettings> ContainerNetwork::Connect(
    const v1::ContainerDetail& container, const std::string& netns,
    const std::vector<LinkedChild>& links) {
  BERTH_ASSIGN_OR_RETURN(std::vector<PortRequest> ports,
                         PortsToPublish(container));
  const std::string& primary = container.host_config().network_mode();
  v1::NetworkSettings settings;
  settings.set_sandbox_key(netns);
  // The --network one is eth0 (with the default route), then the others.
  std::vector<std::string> names = {primary};
  for (const auto& [name, endpoint] : container.network_settings().networks()) {
    if (name != primary) names.push_back(name);
  }
  std::sort(names.begin() + 1, names.end());
  for (const std::string& name : names) {
    v1::EndpointSettings& endpoint = (*settings.mutable_networks())[name];
    if (auto it = container.network_settings().networks().find(name);
        it != container.network_settings().networks().end()) {
      endpoint.set_network_id(it->second.network_id());
      *endpoint.mutable_aliases() = it->second.aliases();
    }
  }
  if (primary == kBridgeNetwork) {
    BERTH_ASSIGN_OR_RETURN(bool enabled, Enabled());
    if (!enabled) {
      if (!ports.empty()) {
        return absl::FailedPreconditionError(
            "cannot publish ports: networking is disabled (--bridge=none)");
      }
      return settings;
    }
  }
  const std::string& id = container.id();
  auto connect = [&]() -> absl::Status {
    for (size_t i = 0; i < names.size(); ++i) {
      v1::EndpointSettings& endpoint = (*settings.mutable_networks())[names[i]];
      std::string bridge;
      BERTH_ASSIGN_OR_RETURN(
          v1::EndpointSettings attached,
          Attach(container, netns, names[i], absl::StrCat("eth", i), &bridge));
      *attached.mutable_aliases() = endpoint.aliases();
      endpoint = std::move(attached);
      if (i == 0) settings.set_bridge(bridge);
    }
    for (const PortRequest& port : ports) {
      v1::AllocatePortRequest allocate;
      allocate.set_container_id(id);
      allocate.set_host_ip(port.host_ip);
      allocate.set_protocol(port.protocol);
      allocate.set_container_port(port.container_port);
      absl::Status status;
      v1::PortBinding binding;
      // A range takes its first free port, as Docker's does.
      for (int host_port = port.host_port_first;
           host_port <= port.host_port_last; ++host_port) {
        allocate.set_host_port(host_port);
        status = CallNetd(netd_, &NetdStub::AllocatePort, allocate, &binding);
        if (!absl::IsAlreadyExists(status)) break;
      }
      BERTH_RETURN_IF_ERROR(status);
      v1::PublishedPort* published = settings.add_ports();
      published->set_container_port(port.key);
      published->set_host_ip(binding.host_ip());
      published->set_host_port(binding.host_port());
    }
    v1::EndpointSettings& primary_endpoint =
        (*settings.mutable_networks())[primary];
    for (const LinkedChild& link : links) {
      v1::LinkRequest request;
      request.set_action(v1::LinkRequest::ADD);
      request.set_parent_ip(primary_endpoint.ip_address());
      request.set_child_ip(link.ip);
      for (const std::string& port : link.child->config().exposed_ports()) {
        request.add_ports(port);
      }
      v1::LinkReply reply;
      BERTH_RETURN_IF_ERROR(CallNetd(netd_, &NetdStub::Link, request, &reply));
      primary_endpoint.add_links(absl::StrCat(
          absl::StripPrefix(link.child->name(), "/"), ":", link.alias));
    }
    return absl::OkStatus();
  };
  absl::Status status = connect();
  if (!status.ok()) {
    absl::Status released = Disconnect(id);
    if (!released.ok()) {
      LOG(WARNING) << "container " << id.substr(0, 12) << ": " << released;
    }
    return status;
  }
  VLOG(1) << "container " << id.substr(0, 12) << " on " << names.size()
          << " network(s), " << primary << " as "
          << settings.networks().at(primary).ip_address();
  return settings;
}

absl::Status ContainerNetwork::Disconnect(const std::string& container_id) {
  if (netd_ == nullptr) return absl::OkStatus();
  v1::ReleaseInterfaceRequest request;
  request.set_container_id(container_id);
  v1::ReleaseInterfaceReply reply;
  return CallNetd(netd_, &NetdStub::ReleaseInterface, request, &reply);
}

}  // namespace berth
