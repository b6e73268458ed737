#include "services/netd/network_core.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "services/netd/ipam/subnet_picker.h"
#include "services/netd/netlink/netns.h"

namespace berth::netd {
namespace {

// Ephemeral host ports tried before giving up when the proxy finds one
// taken by another program (Docker's maxAllocatePortAttempts).
constexpr int kEphemeralAttempts = 10;

std::string RandomMac() {
  unsigned char bytes[4] = {0, 0, 0, 0};
  if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) {
    PLOG(WARNING) << "getrandom";
  }
  return absl::StrFormat("02:42:%02x:%02x:%02x:%02x", bytes[0], bytes[1],
                         bytes[2], bytes[3]);
}

absl::Status CheckMac(const std::string& mac) {
  std::vector<absl::string_view> parts = absl::StrSplit(mac, ':');
  bool ok = parts.size() == 6;
  for (absl::string_view part : parts) {
    ok = ok && part.size() == 2 && absl::ascii_isxdigit(part[0]) &&
         absl::ascii_isxdigit(part[1]);
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid MAC address \"", mac,
                   "\": use six hex pairs, 02:42:ac:11:00:02"));
}

// "80/tcp", "53/udp" or "80".
absl::StatusOr<std::pair<Protocol, int>> ParseLinkPort(absl::string_view text) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits('/', 1));
  BERTH_ASSIGN_OR_RETURN(Protocol protocol, ParseProtocol(parts.second));
  int port = 0;
  if (!absl::SimpleAtoi(parts.first, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid link port \"", text, "\": use PORT[/tcp|udp]"));
  }
  return std::make_pair(protocol, port);
}

}  // namespace

NetworkOptions NetworkOptionsFromConfig(const v1::DaemonConfig& config) {
  NetworkOptions options;
  options.bridge = config.bridge_iface();
  options.bip = config.bridge_ip();
  options.fixed_cidr = config.fixed_cidr();
  options.mtu = config.mtu();
  options.ip_forward = config.enable_ip_forward();
  options.ip_masq = config.enable_ip_masq();
  options.icc = config.inter_container_communication();
  options.iptables = config.enable_iptables();
  options.default_ip = config.default_ip();
  options.state_dir = config.data_root() + "/network";
  return options;
}

std::string HostVethName(const std::string& container_id,
                         const std::string& salt) {
  // FNV-1a: stable across builds and machines, unlike std::hash.
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : absl::StrCat(container_id, salt)) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return absl::StrCat("veth", absl::StrFormat("%016x", hash).substr(0, 11));
}

std::string MacFromIp(Ipv4 ip) {
  uint32_t v = ip.value();
  return absl::StrFormat("02:42:%02x:%02x:%02x:%02x", v >> 24, (v >> 16) & 0xff,
                         (v >> 8) & 0xff, v & 0xff);
}

NetworkCore::NetworkCore(NetworkOptions options, NetworkDeps deps)
    : options_(std::move(options)),
      deps_(deps),
      store_(options_.state_dir + "/endpoints"),
      own_ports_(deps.ports == nullptr
                     ? std::make_unique<PortAllocator>(deps.ephemeral_ports)
                     : nullptr),
      ports_(deps.ports == nullptr ? *own_ports_ : *deps.ports) {}

NetworkCore::~NetworkCore() = default;

absl::Status NetworkCore::NeedDriverLocked() const {
  if (initialized_) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "the network driver is not initialized: run init_networkdriver first");
}

absl::StatusOr<v1::InitDriverReply> NetworkCore::InitDriver() {
  absl::MutexLock lock(&mu_);
  if (options_.bridge == "none") {
    disabled_ = true;
    initialized_ = true;
    return ReplyLocked();
  }
  const bool managed = options_.bridge.empty() || options_.own_bridge;
  bridge_ = options_.bridge.empty() ? kDefaultBridge : options_.bridge;
  managed_ = managed;
  mtu_ = options_.mtu > 0 ? options_.mtu : kDefaultMtu;
  BERTH_RETURN_IF_ERROR(HostIp("").status());
  if (!options_.fixed_cidr.empty()) {
    absl::StatusOr<Ipv4Prefix> fixed = Ipv4Prefix::Parse(options_.fixed_cidr);
    if (!fixed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--fixed-cidr: ", fixed.status().message()));
    }
    fixed_cidr_ = *fixed;
  }
  BERTH_ASSIGN_OR_RETURN(bridge_address_, BridgeAddressLocked(managed));
  if (options_.ip_forward) {
    absl::Status forward = deps_.sysctl->Set("net.ipv4.ip_forward", "1");
    if (!forward.ok()) {
      return absl::Status(
          forward.code(),
          absl::StrCat("enable IP forwarding: ", forward.message(),
                       " (or run berthd with --ip-forward=false)"));
    }
  }
  if (!options_.icc && options_.iptables) {
    // Bridged traffic meets iptables' FORWARD chain only through
    // br_netfilter; without it --icc=false would isolate nothing.
    absl::Status netfilter =
        deps_.sysctl->Set("net.bridge.bridge-nf-call-iptables", "1");
    if (!netfilter.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--icc=false needs br_netfilter (modprobe br_netfilter): ",
          netfilter.message()));
    }
  }
  if (ipam_ == nullptr) {
    IpAllocatorOptions ipam;
    ipam.dir = options_.state_dir + "/ipam";
    ipam.subnet = bridge_address_;
    ipam.range = fixed_cidr_;
    ipam.gateway = bridge_address_.address();
    BERTH_ASSIGN_OR_RETURN(ipam_, IpAllocator::Open(std::move(ipam)));
  }
  if (!restored_) {
    BERTH_RETURN_IF_ERROR(RestoreLocked());
    restored_ = true;
  }
  // Every rule, in the order it was first added.
  std::vector<std::pair<int64_t, PortMapping>> ports;
  std::vector<std::pair<int64_t, LinkRule>> links;
  for (const auto& [id, endpoint] : endpoints_) {
    for (const Endpoint::Port& port : endpoint.ports) {
      ports.emplace_back(port.seq, port.mapping);
    }
    for (const Endpoint::Link& link : endpoint.links) {
      links.emplace_back(link.seq, link.rule);
    }
  }
  auto by_seq = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::sort(ports.begin(), ports.end(), by_seq);
  std::sort(links.begin(), links.end(), by_seq);
  std::vector<PortMapping> port_rules;
  for (auto& [seq, mapping] : ports) port_rules.push_back(mapping);
  std::vector<LinkRule> link_rules;
  for (auto& [seq, rule] : links) link_rules.push_back(rule);
  BridgePolicy policy;
  policy.bridge = bridge_;
  policy.subnet = bridge_address_;
  policy.masquerade = options_.ip_masq;
  policy.icc = options_.icc;
  policy.internal = options_.internal;
  policy.isolated_from = options_.isolated_from;
  BERTH_RETURN_IF_ERROR(deps_.firewall->Init(policy, port_rules, link_rules));
  initialized_ = true;
  return ReplyLocked();
}

absl::StatusOr<Ipv4Prefix> NetworkCore::BridgeAddressLocked(bool managed) {
  std::optional<Ipv4Prefix> bip;
  if (!options_.bip.empty()) {
    absl::StatusOr<Ipv4Prefix> parsed = Ipv4Prefix::Parse(options_.bip);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--bip: ", parsed.status().message()));
    }
    bip = *parsed;
  }
  Netlink& netlink = *deps_.netlink;
  // --bip, or the first candidate network no route or address overlaps.
  auto choose = [&]() -> absl::StatusOr<Ipv4Prefix> {
    if (bip.has_value()) return *bip;
    BERTH_ASSIGN_OR_RETURN(std::vector<Ipv4Prefix> in_use,
                           netlink.ListRoutes());
    BERTH_ASSIGN_OR_RETURN(std::vector<Ipv4Prefix> addresses,
                           netlink.ListAddresses(""));
    in_use.insert(in_use.end(), addresses.begin(), addresses.end());
    return PickBridgeAddress(DefaultBridgeCandidates(), in_use);
  };
  absl::StatusOr<LinkInfo> link = netlink.GetLink(bridge_);
  if (absl::IsNotFound(link.status())) {
    if (!managed) {
      return absl::NotFoundError(
          absl::StrCat("bridge ", bridge_,
                       " (--bridge) does not exist: create it, or "
                       "leave --bridge out to use berth's own ",
                       kDefaultBridge));
    }
    BERTH_ASSIGN_OR_RETURN(Ipv4Prefix address, choose());
    absl::Status created = netlink.CreateBridge(bridge_, mtu_, RandomMac());
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
    absl::Status added = netlink.AddAddress(bridge_, address);
    if (!added.ok() && !absl::IsAlreadyExists(added)) return added;
    BERTH_RETURN_IF_ERROR(netlink.SetUp(bridge_));
    LOG(INFO) << "netd: created bridge " << bridge_ << " with "
              << address.ToString();
    return address;
  }
  if (!link.ok()) return link.status();
  if (link->kind != "bridge") {
    return absl::FailedPreconditionError(
        absl::StrCat(bridge_, " exists but is not a bridge (its kind is \"",
                     link->kind, "\")"));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<Ipv4Prefix> addresses,
                         netlink.ListAddresses(bridge_));
  Ipv4Prefix address;
  if (bip.has_value()) {
    if (std::find(addresses.begin(), addresses.end(), *bip) !=
        addresses.end()) {
      address = *bip;
    } else if (addresses.empty()) {
      BERTH_RETURN_IF_ERROR(netlink.AddAddress(bridge_, *bip));
      address = *bip;
    } else {
      return absl::FailedPreconditionError(absl::StrCat(
          "bridge IP (", bip->ToString(),
          ") does not match the existing bridge configuration ",
          addresses.front().ToString(), ": change --bip, or delete ", bridge_,
          " (ip link del ", bridge_, ") to let berth make it again"));
    }
  } else if (!addresses.empty()) {
    address = addresses.front();
  } else if (managed) {
    BERTH_ASSIGN_OR_RETURN(address, choose());
    BERTH_RETURN_IF_ERROR(netlink.AddAddress(bridge_, address));
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("bridge ", bridge_,
                     " has no IPv4 address: give it one, or pass --bip"));
  }
  if (managed && link->mtu != mtu_) {
    BERTH_RETURN_IF_ERROR(netlink.SetMtu(bridge_, mtu_));
  }
  if (!link->up) BERTH_RETURN_IF_ERROR(netlink.SetUp(bridge_));
  return address;
}

absl::Status NetworkCore::RestoreLocked() {
  BERTH_ASSIGN_OR_RETURN(std::vector<Endpoint> loaded, store_.LoadAll());
  for (Endpoint& endpoint : loaded) {
    const std::string& id = endpoint.container_id;
    absl::StatusOr<LinkInfo> veth = deps_.netlink->GetLink(endpoint.host_veth);
    if (absl::IsNotFound(veth.status())) {
      // Its pair died with its namespace while berth-netd was away.
      LOG(INFO) << "netd: the network namespace of " << id
                << " is gone; releasing " << endpoint.ip.ToString();
      absl::Status released = ipam_->Release(id);
      if (released.ok()) released = store_.Remove(id);
      if (!released.ok()) LOG(WARNING) << "netd: " << released;
      continue;
    }
    absl::StatusOr<Ipv4> held = ipam_->Allocate(id, endpoint.ip);
    if (!held.ok()) {
      LOG(WARNING) << "netd: " << id << " keeps " << endpoint.ip.ToString()
                   << " but the IPAM refused it: " << held.status();
    }
    for (const Endpoint::Port& port : endpoint.ports) {
      const PortMapping& mapping = port.mapping;
      absl::StatusOr<int> reserved =
          ports_.Allocate(mapping.protocol, mapping.host_ip, mapping.host_port);
      absl::Status proxied =
          reserved.ok() ? deps_.proxy->Start(mapping) : reserved.status();
      if (!proxied.ok()) {
        LOG(WARNING) << "netd: cannot publish " << mapping.ToString() << " for "
                     << id << " again: " << proxied;
      }
      next_seq_ = std::max(next_seq_, port.seq + 1);
    }
    for (const Endpoint::Link& link : endpoint.links) {
      next_seq_ = std::max(next_seq_, link.seq + 1);
    }
    endpoints_[id] = std::move(endpoint);
  }
  // An allocation whose endpoint was never saved (a crash in between).
  for (const auto& [ip, owner] : ipam_->Allocations()) {
    if (endpoints_.contains(owner)) continue;
    LOG(INFO) << "netd: releasing " << ip.ToString() << " of " << owner
              << ", which has no endpoint";
    absl::Status released = ipam_->Release(owner);
    if (!released.ok()) LOG(WARNING) << "netd: " << released;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::NetworkInterface> NetworkCore::AllocateInterface(
    const v1::AllocateInterfaceRequest& request) {
  const std::string& id = request.container_id();
  BERTH_RETURN_IF_ERROR(CheckContainerId(id));
  if (request.netns_path().empty()) {
    return absl::InvalidArgumentError(
        "allocate_interface needs the container's network namespace "
        "(netns_path)");
  }
  std::optional<Ipv4> requested;
  if (!request.requested_ip().empty()) {
    BERTH_ASSIGN_OR_RETURN(requested, Ipv4::Parse(request.requested_ip()));
  }
  if (!request.mac_address().empty()) {
    BERTH_RETURN_IF_ERROR(CheckMac(request.mac_address()));
  }
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedDriverLocked());
  if (disabled_) {
    return absl::FailedPreconditionError(
        "networking is disabled (--bridge=none): containers get only "
        "loopback");
  }
  auto existing = endpoints_.find(id);
  if (existing != endpoints_.end()) {
    Endpoint& endpoint = existing->second;
    if (requested.has_value() && *requested != endpoint.ip) {
      return absl::FailedPreconditionError(absl::StrCat(
          id, " already has ", endpoint.ip.ToString(),
          "; release its interface before asking for ", requested->ToString()));
    }
    if (endpoint.netns_path == request.netns_path() &&
        deps_.netlink->GetLink(endpoint.host_veth).ok()) {
      return InterfaceLocked(endpoint);  // a retry
    }
    // A new namespace (the container restarted): a new veth pair with the
    // same address, MAC and published ports.
    Endpoint updated = endpoint;
    updated.netns_path = request.netns_path();
    if (!request.mac_address().empty()) updated.mac = request.mac_address();
    BERTH_RETURN_IF_ERROR(SetUpContainerLocked(updated));
    absl::Status saved = store_.Save(updated);
    if (!saved.ok()) {
      (void)deps_.netlink->DeleteLink(updated.host_veth);
      return saved;
    }
    endpoint = std::move(updated);
    return InterfaceLocked(endpoint);
  }
  BERTH_ASSIGN_OR_RETURN(Ipv4 ip, ipam_->Allocate(id, requested));
  Endpoint endpoint;
  endpoint.container_id = id;
  endpoint.netns_path = request.netns_path();
  endpoint.container_name = request.container_name();
  endpoint.interface_name = request.interface_name().empty()
                                ? kContainerInterface
                                : request.interface_name();
  endpoint.host_veth = HostVethName(id, options_.network_id);
  endpoint.ip = ip;
  endpoint.mac =
      request.mac_address().empty() ? MacFromIp(ip) : request.mac_address();
  absl::Status status = SetUpContainerLocked(endpoint);
  if (status.ok()) {
    status = store_.Save(endpoint);
    if (!status.ok()) (void)deps_.netlink->DeleteLink(endpoint.host_veth);
  }
  if (!status.ok()) {
    absl::Status released = ipam_->Release(id);
    if (!released.ok()) LOG(WARNING) << "netd: " << released;
    return status;
  }
  auto [it, inserted] = endpoints_.emplace(id, std::move(endpoint));
  return InterfaceLocked(it->second);
}

absl::Status NetworkCore::SetUpContainerLocked(const Endpoint& endpoint) {
  const std::string& path = endpoint.netns_path;
  UniqueFd netns(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns.valid()) {
    return ErrnoStatus(
        errno, absl::StrCat("open the container's network namespace ", path));
  }
  BERTH_ASSIGN_OR_RETURN(bool own, IsOwnNetns(netns.get()));
  if (own) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is berth-netd's own network namespace, not a container's"));
  }
  // A leftover of a crash, or the pair of the container's last run.
  if (deps_.reaper != nullptr) deps_.reaper->AwaitGone(endpoint.host_veth);
  absl::Status gone = deps_.netlink->DeleteLink(endpoint.host_veth);
  if (!gone.ok() && !absl::IsNotFound(gone)) return gone;
  VethSpec veth;
  veth.name = endpoint.host_veth;
  veth.peer_name = endpoint.interface_name;
  veth.mtu = mtu_;
  veth.master = bridge_;
  veth.up = true;
  veth.peer_netns_fd = netns.get();
  veth.peer_mac = endpoint.mac;
  BERTH_RETURN_IF_ERROR(deps_.netlink->CreateVeth(veth));
  const std::string& name = endpoint.interface_name;
  absl::Status inside_status = [&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Netlink> inside,
                           deps_.netlink->OpenNetns(path));
    BERTH_RETURN_IF_ERROR(inside->AddAddress(
        name, Ipv4Prefix(endpoint.ip, bridge_address_.length())));
    BERTH_RETURN_IF_ERROR(inside->SetUp(name));
    // The first interface carries the default route; an internal
    // network has no way out to route to.
    if (name != kContainerInterface || options_.internal) {
      return absl::OkStatus();
    }
    return inside->AddDefaultRoute(bridge_address_.address(), name);
  }();
  if (!inside_status.ok()) {
    (void)deps_.netlink->DeleteLink(endpoint.host_veth);
    return absl::Status(inside_status.code(),
                        absl::StrCat("set up ", name, " in ", path, ": ",
                                     inside_status.message()));
  }
  return absl::OkStatus();
}

v1::NetworkInterface NetworkCore::InterfaceLocked(
    const Endpoint& endpoint) const {
  v1::NetworkInterface reply;
  reply.set_ip(endpoint.ip.ToString());
  reply.set_prefix_length(bridge_address_.length());
  reply.set_gateway(bridge_address_.address().ToString());
  reply.set_mac_address(endpoint.mac);
  reply.set_bridge(bridge_);
  reply.set_host_interface(endpoint.host_veth);
  reply.set_interface_name(endpoint.interface_name);
  reply.set_network_id(options_.network_id);
  reply.set_mtu(mtu_);
  return reply;
}

bool NetworkCore::UnpublishLocked(const PortMapping& mapping,
                                  absl::Status* error) {
  absl::Status removed = deps_.firewall->RemovePortMapping(mapping);
  if (!removed.ok()) {
    if (error->ok()) *error = removed;
    return false;
  }
  deps_.proxy->Stop(mapping);
  ports_.Release(mapping.protocol, mapping.host_ip, mapping.host_port);
  return true;
}

absl::Status NetworkCore::ReleaseInterface(const std::string& container_id) {
  BERTH_RETURN_IF_ERROR(CheckContainerId(container_id));
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedDriverLocked());
  if (disabled_) return absl::OkStatus();
  auto it = endpoints_.find(container_id);
  if (it == endpoints_.end()) return ipam_->Release(container_id);
  Endpoint& endpoint = it->second;
  absl::Status error;
  std::vector<Endpoint::Port> kept_ports;
  for (const Endpoint::Port& port : endpoint.ports) {
    if (!UnpublishLocked(port.mapping, &error)) kept_ports.push_back(port);
  }
  endpoint.ports = std::move(kept_ports);
  std::vector<Endpoint::Link> kept_links;
  for (const Endpoint::Link& link : endpoint.links) {
    absl::Status removed = deps_.firewall->RemoveLink(link.rule);
    if (!removed.ok()) {
      if (error.ok()) error = removed;
      kept_links.push_back(link);
    }
  }
  endpoint.links = std::move(kept_links);
  // Links to it from other containers.
  for (auto& [other_id, other] : endpoints_) {
    if (other_id == container_id) continue;
    size_t before = other.links.size();
    std::vector<Endpoint::Link> others_kept;
    for (const Endpoint::Link& link : other.links) {
      absl::Status removed = link.rule.child == endpoint.ip
                                 ? deps_.firewall->RemoveLink(link.rule)
                                 : absl::OkStatus();
      if (link.rule.child != endpoint.ip || !removed.ok()) {
        others_kept.push_back(link);
      }
      if (!removed.ok() && error.ok()) error = removed;
    }
    other.links = std::move(others_kept);
    if (other.links.size() != before) {
      absl::Status saved = store_.Save(other);
      if (!saved.ok() && error.ok()) error = saved;
    }
  }
  if (error.ok() && deps_.reaper != nullptr) {
    deps_.reaper->Delete(endpoint.host_veth);
  } else {
    absl::Status deleted = deps_.netlink->DeleteLink(endpoint.host_veth);
    if (!deleted.ok() && !absl::IsNotFound(deleted) && error.ok()) {
      error = deleted;
    }
  }
  if (!error.ok()) {
    // What is left stays recorded, for another try.
    absl::Status saved = store_.Save(endpoint);
    if (!saved.ok()) LOG(WARNING) << "netd: " << saved;
    return error;
  }
  BERTH_RETURN_IF_ERROR(ipam_->Release(container_id));
  BERTH_RETURN_IF_ERROR(store_.Remove(container_id));
  endpoints_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<Ipv4> NetworkCore::HostIp(const std::string& text) const {
  const std::string& chosen = text.empty() ? options_.default_ip : text;
  if (chosen.empty()) return Ipv4(0);
  absl::StatusOr<Ipv4> ip = Ipv4::Parse(chosen);
  if (!ip.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid host IP \"", chosen, "\"", text.empty() ? " (--ip)" : ""));
  }
  return ip;
}

absl::StatusOr<v1::PortBinding> NetworkCore::AllocatePort(
    const v1::AllocatePortRequest& request) {
  const std::string& id = request.container_id();
  BERTH_RETURN_IF_ERROR(CheckContainerId(id));
  BERTH_ASSIGN_OR_RETURN(Protocol protocol, ParseProtocol(request.protocol()));
  BERTH_RETURN_IF_ERROR(
      CheckPort(request.container_port(), "container port", false));
  BERTH_RETURN_IF_ERROR(CheckPort(request.host_port(), "host port", true));
  BERTH_ASSIGN_OR_RETURN(Ipv4 host_ip, HostIp(request.host_ip()));
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedDriverLocked());
  if (disabled_) {
    return absl::FailedPreconditionError(
        "networking is disabled (--bridge=none): ports cannot be published");
  }
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", id,
        " has no network interface: run allocate_interface first"));
  }
  Endpoint& endpoint = it->second;
  auto binding = [&](const PortMapping& mapping) {
    v1::PortBinding reply;
    reply.set_host_ip(mapping.host_ip.ToString());
    reply.set_host_port(mapping.host_port);
    reply.set_protocol(std::string(ProtocolName(mapping.protocol)));
    reply.set_container_port(mapping.container_port);
    return reply;
  };
  if (request.host_port() != 0) {
    for (const Endpoint::Port& port : endpoint.ports) {
      const PortMapping& held = port.mapping;
      if (held.protocol == protocol && held.host_ip == host_ip &&
          held.host_port == request.host_port() &&
          held.container_port == request.container_port()) {
        return binding(held);  // a retry
      }
    }
  }
  PortMapping mapping;
  mapping.protocol = protocol;
  mapping.host_ip = host_ip;
  mapping.container_ip = endpoint.ip;
  mapping.container_port = request.container_port();
  absl::Status proxied;
  const int attempts = request.host_port() == 0 ? kEphemeralAttempts : 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    BERTH_ASSIGN_OR_RETURN(
        mapping.host_port,
        ports_.Allocate(protocol, host_ip, request.host_port()));
    proxied = deps_.proxy->Start(mapping);
    if (proxied.ok()) break;
    ports_.Release(protocol, host_ip, mapping.host_port);
    if (!absl::IsAlreadyExists(proxied)) break;
  }
  if (!proxied.ok()) return proxied;
  absl::Status status = deps_.firewall->AddPortMapping(mapping);
  Endpoint updated = endpoint;
  updated.ports.push_back({next_seq_, mapping});
  if (status.ok()) {
    status = store_.Save(updated);
    if (!status.ok()) (void)deps_.firewall->RemovePortMapping(mapping);
  }
  if (!status.ok()) {
    deps_.proxy->Stop(mapping);
    ports_.Release(protocol, host_ip, mapping.host_port);
    return status;
  }
  ++next_seq_;
  endpoint = std::move(updated);
  return binding(mapping);
}

absl::Status NetworkCore::ReleasePort(const v1::ReleasePortRequest& request) {
  BERTH_RETURN_IF_ERROR(CheckContainerId(request.container_id()));
  BERTH_ASSIGN_OR_RETURN(Protocol protocol, ParseProtocol(request.protocol()));
  BERTH_ASSIGN_OR_RETURN(Ipv4 host_ip, HostIp(request.host_ip()));
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedDriverLocked());
  auto it = endpoints_.find(request.container_id());
  if (it == endpoints_.end()) return absl::OkStatus();
  Endpoint& endpoint = it->second;
  auto port =
      std::find_if(endpoint.ports.begin(), endpoint.ports.end(),
                   [&](const Endpoint::Port& port) {
                     return port.mapping.protocol == protocol &&
                            port.mapping.host_ip == host_ip &&
                            port.mapping.host_port == request.host_port();
                   });
  if (port == endpoint.ports.end()) return absl::OkStatus();
  absl::Status error;
  if (!UnpublishLocked(port->mapping, &error)) return error;
  endpoint.ports.erase(port);
  return store_.Save(endpoint);
}

Endpoint* NetworkCore::FindByIpLocked(Ipv4 ip) {
  for (auto& [id, endpoint] : endpoints_) {
    if (endpoint.ip == ip) return &endpoint;
  }
  return nullptr;
}

absl::Status NetworkCore::Link(const v1::LinkRequest& request) {
  absl::StatusOr<Ipv4> parent_ip = Ipv4::Parse(request.parent_ip());
  absl::StatusOr<Ipv4> child_ip = Ipv4::Parse(request.child_ip());
  if (!parent_ip.ok() || !child_ip.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "link needs the parent's and the child's IPv4 addresses, got \"",
        request.parent_ip(), "\" and \"", request.child_ip(), "\""));
  }
  std::vector<std::pair<Protocol, int>> ports;
  for (const std::string& text : request.ports()) {
    BERTH_ASSIGN_OR_RETURN(auto port, ParseLinkPort(text));
    ports.push_back(port);
  }
  absl::MutexLock lock(&mu_);
  BERTH_RETURN_IF_ERROR(NeedDriverLocked());
  if (disabled_) {
    return absl::FailedPreconditionError(
        "networking is disabled (--bridge=none): there is nothing to link");
  }
  Endpoint* parent = FindByIpLocked(*parent_ip);
  Endpoint* child = FindByIpLocked(*child_ip);
  for (auto [ip, endpoint] :
       {std::make_pair(*parent_ip, parent), std::make_pair(*child_ip, child)}) {
    if (endpoint == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("no container on ", bridge_, " has IP ", ip.ToString()));
    }
  }
  const bool add = request.action() == v1::LinkRequest::ADD;
  absl::Status error;
  for (const auto& [protocol, port] : ports) {
    LinkRule rule;
    rule.protocol = protocol;
    rule.parent = *parent_ip;
    rule.child = *child_ip;
    rule.port = port;
    auto held = std::find_if(
        parent->links.begin(), parent->links.end(),
        [&rule](const Endpoint::Link& link) { return link.rule == rule; });
    if (add == (held != parent->links.end())) continue;  // nothing to do
    absl::Status changed =
        add ? deps_.firewall->AddLink(rule) : deps_.firewall->RemoveLink(rule);
    if (changed.ok()) {
      if (add) {
        parent->links.push_back({next_seq_++, rule});
      } else {
        parent->links.erase(held);
      }
    } else if (!request.ignore_errors()) {
      error = changed;
      break;
    }
  }
  absl::Status saved = store_.Save(*parent);
  return error.ok() ? saved : error;
}

std::vector<v1::NetworkEndpoint> NetworkCore::Endpoints() {
  absl::MutexLock lock(&mu_);
  std::vector<v1::NetworkEndpoint> out;
  for (const auto& [id, endpoint] : endpoints_) {
    v1::NetworkEndpoint& entry = out.emplace_back();
    entry.set_container_id(id);
    entry.set_container_name(endpoint.container_name);
    entry.set_endpoint_id(endpoint.host_veth);
    entry.set_mac_address(endpoint.mac);
    entry.set_ipv4_address(
        Ipv4Prefix(endpoint.ip, bridge_address_.length()).ToString());
  }
  return out;
}

bool NetworkCore::HasEndpoint(const std::string& container_id) {
  absl::MutexLock lock(&mu_);
  return endpoints_.contains(container_id);
}

absl::Status NetworkCore::Teardown() {
  absl::MutexLock lock(&mu_);
  if (!endpoints_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the network has ", endpoints_.size(), " active endpoint(s)"));
  }
  if (initialized_ && !disabled_) {
    BERTH_RETURN_IF_ERROR(deps_.firewall->Remove());
    if (managed_) {
      absl::Status deleted = deps_.netlink->DeleteLink(bridge_);
      if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
    }
  }
  initialized_ = false;
  std::error_code error;
  std::filesystem::remove_all(options_.state_dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("remove ", options_.state_dir, ": ", error.message()));
  }
  return absl::OkStatus();
}

v1::InitDriverReply NetworkCore::ReplyLocked() const {
  v1::InitDriverReply reply;
  reply.set_disabled(disabled_);
  reply.set_iptables(options_.iptables);
  reply.set_ip_masq(options_.ip_masq);
  reply.set_icc(options_.icc);
  reply.set_ip_forward(options_.ip_forward);
  reply.set_default_host_ip(options_.default_ip.empty() ? "0.0.0.0"
                                                        : options_.default_ip);
  if (disabled_) return reply;
  reply.set_bridge(bridge_);
  reply.set_bridge_address(bridge_address_.ToString());
  reply.set_allocation_range(
      fixed_cidr_.value_or(bridge_address_).Network().ToString());
  reply.set_mtu(mtu_);
  reply.set_managed_bridge(managed_);
  return reply;
}

}  // namespace berth::netd
