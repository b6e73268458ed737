#include "services/netd/ports/port_allocator.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/files.h"

namespace berth::netd {

absl::StatusOr<PortRange> ReadEphemeralPortRange(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::vector<absl::string_view> fields =
      absl::StrSplit(*text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  PortRange range;
  if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &range.first) ||
      !absl::SimpleAtoi(fields[1], &range.last) || range.first < 1 ||
      range.last > 65535 || range.first > range.last) {
    return absl::DataLossError(
        absl::StrCat("unexpected contents in ", path, ": \"", *text, "\""));
  }
  return range;
}

PortAllocator::PortAllocator(PortRange ephemeral) : ephemeral_(ephemeral) {
  last_[0] = last_[1] = ephemeral.first - 1;
}

bool PortAllocator::TakenLocked(Protocol protocol, Ipv4 host_ip,
                                int port) const {
  auto begin = taken_.lower_bound({protocol, port, Ipv4(0)});
  for (auto it = begin; it != taken_.end() && std::get<0>(*it) == protocol &&
                        std::get<1>(*it) == port;
       ++it) {
    Ipv4 held = std::get<2>(*it);
    if (held == host_ip || held.IsUnspecified() || host_ip.IsUnspecified()) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<int> PortAllocator::Allocate(Protocol protocol, Ipv4 host_ip,
                                            int port) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid host port ", port, ": use 1-65535"));
  }
  absl::MutexLock lock(&mu_);
  if (port != 0) {
    if (TakenLocked(protocol, host_ip, port)) {
      return absl::AlreadyExistsError(
          absl::StrCat("Bind for ", host_ip.ToString(), ":", port,
                       " failed: port is already allocated"));
    }
    taken_.insert({protocol, port, host_ip});
    return port;
  }
  int& last = last_[protocol == Protocol::kUdp ? 1 : 0];
  const int count = ephemeral_.last - ephemeral_.first + 1;
  int next = last;
  for (int i = 0; i < count; ++i) {
    ++next;
    if (next < ephemeral_.first || next > ephemeral_.last) {
      next = ephemeral_.first;
    }
    if (TakenLocked(protocol, host_ip, next)) continue;
    taken_.insert({protocol, next, host_ip});
    last = next;
    return next;
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "all ports are allocated: no free ", ProtocolName(protocol), " port on ",
      host_ip.ToString(), " in ", ephemeral_.first, "-", ephemeral_.last));
}

void PortAllocator::Release(Protocol protocol, Ipv4 host_ip, int port) {
  absl::MutexLock lock(&mu_);
  taken_.erase({protocol, port, host_ip});
}

}  // namespace berth::netd
