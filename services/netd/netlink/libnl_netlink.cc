#include "services/netd/netlink/libnl_netlink.h"

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"
#include "services/netd/netlink/netns.h"

namespace berth::netd {
namespace {

// libnl's error (a negative NLE_* code) as a status with a precise code.
absl::Status NlStatus(int err, absl::string_view what) {
  if (err >= 0) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", nl_geterror(err));
  switch (-err) {
    case NLE_EXIST:
      return absl::AlreadyExistsError(message);
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
    case NLE_NOADDR:
      return absl::NotFoundError(message);
    case NLE_PERM:
    case NLE_NOACCESS:
      return absl::PermissionDeniedError(absl::StrCat(
          message, " (berth-netd needs CAP_NET_ADMIN: run berthd as root)"));
    case NLE_INVAL:
    case NLE_RANGE:
      return absl::InvalidArgumentError(message);
    case NLE_BUSY:
    case NLE_AGAIN:
      return absl::UnavailableError(message);
    case NLE_OPNOTSUPP:
    case NLE_AF_NOSUPPORT:
      return absl::UnimplementedError(message);
    default:
      return absl::InternalError(message);
  }
}

// Owning handles for libnl objects.
struct LinkPut {
  void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
struct AddrPut {
  void operator()(nl_addr* addr) const { nl_addr_put(addr); }
};
using NlAddrPtr = std::unique_ptr<nl_addr, AddrPut>;
struct RtnlAddrPut {
  void operator()(rtnl_addr* addr) const { rtnl_addr_put(addr); }
};
using RtnlAddrPtr = std::unique_ptr<rtnl_addr, RtnlAddrPut>;
struct RoutePut {
  void operator()(rtnl_route* route) const { rtnl_route_put(route); }
};
using RoutePtr = std::unique_ptr<rtnl_route, RoutePut>;
struct CacheFree {
  void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
using CachePtr = std::unique_ptr<nl_cache, CacheFree>;

NlAddrPtr Ipv4Addr(Ipv4 ip, int prefix_length) {
  uint32_t be = ip.ToNetworkOrder();
  NlAddrPtr addr(nl_addr_build(AF_INET, &be, sizeof(be)));
  if (addr) nl_addr_set_prefixlen(addr.get(), prefix_length);
  return addr;
}

absl::StatusOr<NlAddrPtr> MacAddr(const std::string& mac) {
  nl_addr* addr = nullptr;
  int err = nl_addr_parse(mac.c_str(), AF_LLC, &addr);
  if (err < 0 || nl_addr_get_len(addr) != 6) {
    if (addr != nullptr) nl_addr_put(addr);
    return absl::InvalidArgumentError(
        absl::StrCat("invalid MAC address \"", mac, "\""));
  }
  return NlAddrPtr(addr);
}

std::string FormatMac(nl_addr* addr) {
  if (addr == nullptr || nl_addr_get_len(addr) != 6) return "";
  const auto* b =
      static_cast<const unsigned char*>(nl_addr_get_binary_addr(addr));
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
                         b[3], b[4], b[5]);
}

absl::Status CheckName(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid interface name \"", name, "\": use 1 to ",
                     IFNAMSIZ - 1, " characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<nl_sock*> Connect() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return absl::ResourceExhaustedError("nl_socket_alloc");
  int err = nl_connect(sock, NETLINK_ROUTE);
  if (err < 0) {
    nl_socket_free(sock);
    return NlStatus(err, "connect to rtnetlink");
  }
  return sock;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LibnlNetlink>> LibnlNetlink::Open() {
  BERTH_ASSIGN_OR_RETURN(nl_sock * sock, Connect());
  return std::unique_ptr<LibnlNetlink>(new LibnlNetlink(sock));
}

absl::StatusOr<std::unique_ptr<LibnlNetlink>> LibnlNetlink::OpenAt(
    const std::string& netns_path) {
  nl_sock* sock = nullptr;
  BERTH_RETURN_IF_ERROR(RunInNetns(netns_path, [&sock]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(sock, Connect());
    return absl::OkStatus();
  }));
  return std::unique_ptr<LibnlNetlink>(new LibnlNetlink(sock));
}

LibnlNetlink::~LibnlNetlink() { nl_socket_free(sock_); }

absl::StatusOr<std::unique_ptr<Netlink>> LibnlNetlink::OpenNetns(
    const std::string& netns_path) {
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<LibnlNetlink> netlink,
                         OpenAt(netns_path));
  return std::unique_ptr<Netlink>(std::move(netlink));
}

absl::StatusOr<int> LibnlNetlink::IndexLocked(const std::string& name) {
  BERTH_RETURN_IF_ERROR(CheckName(name));
  rtnl_link* link = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &link);
  if (err < 0) return NlStatus(err, absl::StrCat("find link ", name));
  LinkPtr owned(link);
  return rtnl_link_get_ifindex(link);
}

absl::StatusOr<LinkInfo> LibnlNetlink::GetLink(const std::string& name) {
  BERTH_RETURN_IF_ERROR(CheckName(name));
  absl::MutexLock lock(&mu_);
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw);
  if (err < 0) return NlStatus(err, absl::StrCat("find link ", name));
  LinkPtr link(raw);
  LinkInfo info;
  info.name = rtnl_link_get_name(raw);
  info.index = rtnl_link_get_ifindex(raw);
  const char* kind = rtnl_link_get_type(raw);
  info.kind = kind != nullptr ? kind : "";
  info.mtu = rtnl_link_get_mtu(raw);
  info.mac = FormatMac(rtnl_link_get_addr(raw));
  info.up = (rtnl_link_get_flags(raw) & IFF_UP) != 0;
  info.master_index = rtnl_link_get_master(raw);
  return info;
}

absl::Status LibnlNetlink::CreateBridge(const std::string& name, int mtu,
                                        const std::string& mac) {
  BERTH_RETURN_IF_ERROR(CheckName(name));
  LinkPtr link(rtnl_link_alloc());
  if (!link) return absl::ResourceExhaustedError("rtnl_link_alloc");
  BERTH_RETURN_IF_ERROR(
      NlStatus(rtnl_link_set_type(link.get(), "bridge"), "bridge link type"));
  rtnl_link_set_name(link.get(), name.c_str());
  if (mtu > 0) rtnl_link_set_mtu(link.get(), mtu);
  if (!mac.empty()) {
    BERTH_ASSIGN_OR_RETURN(NlAddrPtr addr, MacAddr(mac));
    rtnl_link_set_addr(link.get(), addr.get());
  }
  absl::MutexLock lock(&mu_);
  return NlStatus(rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL),
                  absl::StrCat("create bridge ", name));
}

absl::Status LibnlNetlink::CreateVeth(const VethSpec& spec) {
  BERTH_RETURN_IF_ERROR(CheckName(spec.name));
  BERTH_RETURN_IF_ERROR(CheckName(spec.peer_name));
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link) return absl::ResourceExhaustedError("rtnl_link_veth_alloc");
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));
  rtnl_link_set_name(link.get(), spec.name.c_str());
  rtnl_link_set_name(peer.get(), spec.peer_name.c_str());
  if (spec.mtu > 0) {
    rtnl_link_set_mtu(link.get(), spec.mtu);
    rtnl_link_set_mtu(peer.get(), spec.mtu);
  }
  if (spec.up) rtnl_link_set_flags(link.get(), IFF_UP);
  if (spec.peer_netns_fd >= 0) {
    rtnl_link_set_ns_fd(peer.get(), spec.peer_netns_fd);
  }
  if (!spec.peer_mac.empty()) {
    BERTH_ASSIGN_OR_RETURN(NlAddrPtr addr, MacAddr(spec.peer_mac));
    rtnl_link_set_addr(peer.get(), addr.get());
  }
  absl::MutexLock lock(&mu_);
  if (!spec.master.empty()) {
    BERTH_ASSIGN_OR_RETURN(int master, IndexLocked(spec.master));
    rtnl_link_set_master(link.get(), master);
  }
  return NlStatus(
      rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL),
      absl::StrCat("create veth pair ", spec.name, " and ", spec.peer_name));
}

absl::Status LibnlNetlink::DeleteLink(const std::string& name) {
  BERTH_RETURN_IF_ERROR(CheckName(name));
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(int index, IndexLocked(name));
  LinkPtr link(rtnl_link_alloc());
  rtnl_link_set_ifindex(link.get(), index);
  return NlStatus(rtnl_link_delete(sock_, link.get()),
                  absl::StrCat("delete link ", name));
}

absl::Status LibnlNetlink::Change(
    const std::string& name, const std::string& what,
    const std::function<absl::Status(rtnl_link*)>& edit) {
  BERTH_RETURN_IF_ERROR(CheckName(name));
  absl::MutexLock lock(&mu_);
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw);
  if (err < 0) return NlStatus(err, absl::StrCat(what, ": find link ", name));
  LinkPtr orig(raw);
  LinkPtr change(rtnl_link_alloc());
  if (!change) return absl::ResourceExhaustedError("rtnl_link_alloc");
  BERTH_RETURN_IF_ERROR(edit(change.get()));
  return NlStatus(rtnl_link_change(sock_, orig.get(), change.get(), 0), what);
}

absl::Status LibnlNetlink::SetUp(const std::string& name) {
  return Change(name, absl::StrCat("set ", name, " up"), [](rtnl_link* link) {
    rtnl_link_set_flags(link, IFF_UP);
    return absl::OkStatus();
  });
}

absl::Status LibnlNetlink::SetMtu(const std::string& name, int mtu) {
  return Change(name, absl::StrCat("set the MTU of ", name, " to ", mtu),
                [mtu](rtnl_link* link) {
                  rtnl_link_set_mtu(link, mtu);
                  return absl::OkStatus();
                });
}

absl::Status LibnlNetlink::SetMac(const std::string& name,
                                  const std::string& mac) {
  BERTH_ASSIGN_OR_RETURN(NlAddrPtr addr, MacAddr(mac));
  return Change(name, absl::StrCat("set the MAC of ", name, " to ", mac),
                [&addr](rtnl_link* link) {
                  rtnl_link_set_addr(link, addr.get());
                  return absl::OkStatus();
                });
}

absl::Status LibnlNetlink::SetMaster(const std::string& name,
                                     const std::string& bridge) {
  int master = 0;
  {
    absl::MutexLock lock(&mu_);
    BERTH_ASSIGN_OR_RETURN(master, IndexLocked(bridge));
  }
  return Change(name, absl::StrCat("attach ", name, " to ", bridge),
                [master](rtnl_link* link) {
                  rtnl_link_set_master(link, master);
                  return absl::OkStatus();
                });
}

absl::Status LibnlNetlink::Rename(const std::string& name,
                                  const std::string& new_name) {
  BERTH_RETURN_IF_ERROR(CheckName(new_name));
  return Change(name, absl::StrCat("rename ", name, " to ", new_name),
                [&new_name](rtnl_link* link) {
                  rtnl_link_set_name(link, new_name.c_str());
                  return absl::OkStatus();
                });
}

absl::Status LibnlNetlink::MoveToNetns(const std::string& name, int netns_fd) {
  return Change(name,
                absl::StrCat("move ", name, " to another network namespace"),
                [netns_fd](rtnl_link* link) {
                  rtnl_link_set_ns_fd(link, netns_fd);
                  return absl::OkStatus();
                });
}

absl::Status LibnlNetlink::Address(const std::string& link,
                                   const Ipv4Prefix& address, bool add) {
  const std::string what =
      absl::StrCat(add ? "add " : "delete ", address.ToString(),
                   add ? " to " : " from ", link);
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(int index, IndexLocked(link));
  RtnlAddrPtr addr(rtnl_addr_alloc());
  NlAddrPtr local = Ipv4Addr(address.address(), address.length());
  if (!addr || !local) return absl::ResourceExhaustedError(what);
  rtnl_addr_set_ifindex(addr.get(), index);
  rtnl_addr_set_family(addr.get(), AF_INET);
  BERTH_RETURN_IF_ERROR(
      NlStatus(rtnl_addr_set_local(addr.get(), local.get()), what));
  rtnl_addr_set_prefixlen(addr.get(), address.length());
  if (add && address.length() < 31) {
    NlAddrPtr broadcast = Ipv4Addr(address.Last(), 32);
    BERTH_RETURN_IF_ERROR(
        NlStatus(rtnl_addr_set_broadcast(addr.get(), broadcast.get()), what));
  }
  int err = add ? rtnl_addr_add(sock_, addr.get(), 0)
                : rtnl_addr_delete(sock_, addr.get(), 0);
  return NlStatus(err, what);
}

absl::Status LibnlNetlink::AddAddress(const std::string& link,
                                      const Ipv4Prefix& address) {
  return Address(link, address, true);
}

absl::Status LibnlNetlink::DeleteAddress(const std::string& link,
                                         const Ipv4Prefix& address) {
  return Address(link, address, false);
}

absl::StatusOr<std::vector<Ipv4Prefix>> LibnlNetlink::ListAddresses(
    const std::string& link) {
  absl::MutexLock lock(&mu_);
  int index = 0;
  if (!link.empty()) {
    BERTH_ASSIGN_OR_RETURN(index, IndexLocked(link));
  }
  nl_cache* raw = nullptr;
  BERTH_RETURN_IF_ERROR(
      NlStatus(rtnl_addr_alloc_cache(sock_, &raw), "list addresses"));
  CachePtr cache(raw);
  std::vector<Ipv4Prefix> addresses;
  for (nl_object* object = nl_cache_get_first(raw); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(object);
    if (rtnl_addr_get_family(addr) != AF_INET) continue;
    if (index != 0 && rtnl_addr_get_ifindex(addr) != index) continue;
    nl_addr* local = rtnl_addr_get_local(addr);
    if (local == nullptr || nl_addr_get_len(local) != 4) continue;
    uint32_t be;
    std::memcpy(&be, nl_addr_get_binary_addr(local), 4);
    addresses.emplace_back(Ipv4::FromNetworkOrder(be),
                           rtnl_addr_get_prefixlen(addr));
  }
  return addresses;
}

absl::Status LibnlNetlink::AddDefaultRoute(Ipv4 gateway,
                                           const std::string& link) {
  const std::string what =
      absl::StrCat("add default route via ", gateway.ToString(), " dev ", link);
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(int index, IndexLocked(link));
  RoutePtr route(rtnl_route_alloc());
  NlAddrPtr dst = Ipv4Addr(Ipv4(0), 0);
  NlAddrPtr via = Ipv4Addr(gateway, 32);
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (!route || !dst || !via || hop == nullptr) {
    if (hop != nullptr) rtnl_route_nh_free(hop);
    return absl::ResourceExhaustedError(what);
  }
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  BERTH_RETURN_IF_ERROR(
      NlStatus(rtnl_route_set_dst(route.get(), dst.get()), what));
  rtnl_route_nh_set_ifindex(hop, index);
  rtnl_route_nh_set_gateway(hop, via.get());
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns it now
  return NlStatus(rtnl_route_add(sock_, route.get(), NLM_F_EXCL), what);
}

absl::StatusOr<std::vector<Ipv4Prefix>> LibnlNetlink::ListRoutes() {
  absl::MutexLock lock(&mu_);
  nl_cache* raw = nullptr;
  BERTH_RETURN_IF_ERROR(
      NlStatus(rtnl_route_alloc_cache(sock_, AF_INET, 0, &raw), "list routes"));
  CachePtr cache(raw);
  std::vector<Ipv4Prefix> routes;
  for (nl_object* object = nl_cache_get_first(raw); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* route = reinterpret_cast<rtnl_route*>(object);
    if (rtnl_route_get_family(route) != AF_INET ||
        rtnl_route_get_table(route) == RT_TABLE_LOCAL) {
      continue;
    }
    nl_addr* dst = rtnl_route_get_dst(route);
    uint32_t be = 0;
    if (dst != nullptr && nl_addr_get_len(dst) == 4) {
      std::memcpy(&be, nl_addr_get_binary_addr(dst), 4);
    }
    routes.emplace_back(Ipv4::FromNetworkOrder(be),
                        dst != nullptr ? nl_addr_get_prefixlen(dst) : 0);
  }
  return routes;
}

}  // namespace berth::netd
