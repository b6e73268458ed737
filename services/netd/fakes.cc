#include "services/netd/fakes.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace berth::netd::testing {
namespace {

// The path an fd was opened with: the fake names namespaces by path.
std::string FdPath(int fd) {
  char buf[4096];
  ssize_t n = readlink(absl::StrCat("/proc/self/fd/", fd).c_str(), buf,
                       sizeof(buf) - 1);
  return n > 0 ? std::string(buf, n) : "";
}

absl::Status NoLink(const std::string& name) {
  return absl::NotFoundError(
      absl::StrCat("find link ", name, ": no such link"));
}

}  // namespace

absl::Status FakeNetlink::Fails(const std::string& op) {
  if (world_->failing.count(op)) {
    return absl::InternalError(absl::StrCat(op, ": injected failure"));
  }
  return absl::OkStatus();
}

FakeLink* FakeNetlink::Find(const std::string& name) {
  auto& links = world_->links[ns_];
  auto it = links.find(name);
  return it == links.end() ? nullptr : &it->second;
}

absl::StatusOr<LinkInfo> FakeNetlink::GetLink(const std::string& name) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  LinkInfo info;
  info.name = name;
  info.index = link->index;
  info.kind = link->kind;
  info.mtu = link->mtu;
  info.mac = link->mac;
  info.up = link->up;
  FakeLink* master = link->master.empty() ? nullptr : Find(link->master);
  if (master != nullptr) info.master_index = master->index;
  return info;
}

absl::Status FakeNetlink::CreateBridge(const std::string& name, int mtu,
                                       const std::string& mac) {
  absl::MutexLock lock(&world_->mu);
  if (Find(name) != nullptr) return absl::AlreadyExistsError(name);
  FakeLink link;
  link.kind = "bridge";
  link.index = world_->next_index++;
  if (mtu > 0) link.mtu = mtu;
  link.mac = mac;
  world_->links[ns_][name] = link;
  ++world_->creates;
  return absl::OkStatus();
}

absl::Status FakeNetlink::CreateVeth(const VethSpec& spec) {
  absl::MutexLock lock(&world_->mu);
  if (absl::Status failed = Fails("CreateVeth"); !failed.ok()) return failed;
  std::string peer_ns =
      spec.peer_netns_fd >= 0 ? FdPath(spec.peer_netns_fd) : ns_;
  if (Find(spec.name) != nullptr ||
      world_->links[peer_ns].count(spec.peer_name)) {
    return absl::AlreadyExistsError(spec.name);
  }
  if (!spec.master.empty() && Find(spec.master) == nullptr) {
    return NoLink(spec.master);
  }
  FakeLink host;
  host.kind = "veth";
  host.index = world_->next_index++;
  if (spec.mtu > 0) host.mtu = spec.mtu;
  host.up = spec.up;
  host.master = spec.master;
  host.peer_ns = peer_ns;
  host.peer = spec.peer_name;
  FakeLink peer;
  peer.kind = "veth";
  peer.index = world_->next_index++;
  peer.mtu = host.mtu;
  peer.mac = spec.peer_mac;
  peer.peer_ns = ns_;
  peer.peer = spec.name;
  world_->links[ns_][spec.name] = host;
  world_->links[peer_ns][spec.peer_name] = peer;
  ++world_->creates;
  return absl::OkStatus();
}

absl::Status FakeNetlink::DeleteLink(const std::string& name) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  if (link->kind == "veth") {
    world_->links[link->peer_ns].erase(link->peer);
  }
  world_->links[ns_].erase(name);
  return absl::OkStatus();
}

absl::Status FakeNetlink::SetUp(const std::string& name) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  link->up = true;
  return absl::OkStatus();
}

absl::Status FakeNetlink::SetMtu(const std::string& name, int mtu) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  link->mtu = mtu;
  return absl::OkStatus();
}

absl::Status FakeNetlink::SetMac(const std::string& name,
                                 const std::string& mac) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  link->mac = mac;
  return absl::OkStatus();
}

absl::Status FakeNetlink::SetMaster(const std::string& name,
                                    const std::string& bridge) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  if (Find(bridge) == nullptr) return NoLink(bridge);
  link->master = bridge;
  return absl::OkStatus();
}

absl::Status FakeNetlink::Rename(const std::string& name,
                                 const std::string& new_name) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  FakeLink moved = *link;
  world_->links[ns_].erase(name);
  world_->links[ns_][new_name] = moved;
  return absl::OkStatus();
}

absl::Status FakeNetlink::MoveToNetns(const std::string& name, int netns_fd) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  FakeLink moved = *link;
  world_->links[ns_].erase(name);
  world_->links[FdPath(netns_fd)][name] = moved;
  return absl::OkStatus();
}

absl::Status FakeNetlink::AddAddress(const std::string& name,
                                     const Ipv4Prefix& address) {
  absl::MutexLock lock(&world_->mu);
  if (absl::Status failed = Fails("AddAddress"); !failed.ok()) return failed;
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  auto& addresses = link->addresses;
  if (std::find(addresses.begin(), addresses.end(), address) !=
      addresses.end()) {
    return absl::AlreadyExistsError(address.ToString());
  }
  addresses.push_back(address);
  return absl::OkStatus();
}

absl::Status FakeNetlink::DeleteAddress(const std::string& name,
                                        const Ipv4Prefix& address) {
  absl::MutexLock lock(&world_->mu);
  FakeLink* link = Find(name);
  if (link == nullptr) return NoLink(name);
  auto& addresses = link->addresses;
  auto it = std::find(addresses.begin(), addresses.end(), address);
  if (it == addresses.end()) return absl::NotFoundError(address.ToString());
  addresses.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Ipv4Prefix>> FakeNetlink::ListAddresses(
    const std::string& name) {
  absl::MutexLock lock(&world_->mu);
  std::vector<Ipv4Prefix> out;
  for (const auto& [link_name, link] : world_->links[ns_]) {
    if (!name.empty() && link_name != name) continue;
    out.insert(out.end(), link.addresses.begin(), link.addresses.end());
  }
  if (!name.empty() && Find(name) == nullptr) return NoLink(name);
  return out;
}

absl::Status FakeNetlink::AddDefaultRoute(Ipv4 gateway,
                                          const std::string& name) {
  absl::MutexLock lock(&world_->mu);
  if (absl::Status failed = Fails("AddDefaultRoute"); !failed.ok()) {
    return failed;
  }
  if (Find(name) == nullptr) return NoLink(name);
  world_->default_routes.push_back(
      absl::StrCat(ns_, " default via ", gateway.ToString(), " dev ", name));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Ipv4Prefix>> FakeNetlink::ListRoutes() {
  absl::MutexLock lock(&world_->mu);
  std::vector<Ipv4Prefix> routes = world_->extra_routes[ns_];
  for (const auto& [name, link] : world_->links[ns_]) {
    for (const Ipv4Prefix& address : link.addresses) {
      routes.push_back(address.Network());
    }
  }
  return routes;
}

absl::StatusOr<std::unique_ptr<Netlink>> FakeNetlink::OpenNetns(
    const std::string& netns_path) {
  if (access(netns_path.c_str(), F_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("open ", netns_path));
  }
  return std::unique_ptr<Netlink>(new FakeNetlink(world_, netns_path));
}

absl::Status FakeFirewall::Init(const BridgePolicy& policy_in,
                                const std::vector<PortMapping>& ports_in,
                                const std::vector<LinkRule>& links_in) {
  if (fail) return absl::InternalError("firewall: injected failure");
  ++inits;
  policy = policy_in;
  ports = ports_in;
  links = links_in;
  return absl::OkStatus();
}

absl::Status FakeFirewall::AddPortMapping(const PortMapping& mapping) {
  if (fail) return absl::InternalError("firewall: injected failure");
  if (std::find(ports.begin(), ports.end(), mapping) == ports.end()) {
    ports.push_back(mapping);
  }
  return absl::OkStatus();
}

absl::Status FakeFirewall::RemovePortMapping(const PortMapping& mapping) {
  if (fail) return absl::InternalError("firewall: injected failure");
  ports.erase(std::remove(ports.begin(), ports.end(), mapping), ports.end());
  return absl::OkStatus();
}

absl::Status FakeFirewall::AddLink(const LinkRule& link) {
  if (fail) return absl::InternalError("firewall: injected failure");
  if (std::find(links.begin(), links.end(), link) == links.end()) {
    links.push_back(link);
  }
  return absl::OkStatus();
}

absl::Status FakeFirewall::RemoveLink(const LinkRule& link) {
  if (fail) return absl::InternalError("firewall: injected failure");
  links.erase(std::remove(links.begin(), links.end(), link), links.end());
  return absl::OkStatus();
}

absl::Status FakeFirewall::Remove() {
  removed = true;
  ports.clear();
  links.clear();
  return absl::OkStatus();
}

absl::Status FakeProxy::Start(const PortMapping& mapping) {
  if (taken.count(mapping.host_port)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "Error starting userland proxy: listen ",
        ProtocolName(mapping.protocol), "4 ", mapping.host_ip.ToString(), ":",
        mapping.host_port, ": bind: address already in use"));
  }
  running.push_back(mapping);
  return absl::OkStatus();
}

void FakeProxy::Stop(const PortMapping& mapping) {
  running.erase(std::remove(running.begin(), running.end(), mapping),
                running.end());
}

}  // namespace berth::netd::testing
