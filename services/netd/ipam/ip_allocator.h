#ifndef BERTH_SERVICES_NETD_IPAM_IP_ALLOCATOR_H_
#define BERTH_SERVICES_NETD_IPAM_IP_ALLOCATOR_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/netd/ipam/ipv4.h"

namespace berth::netd {

struct IpAllocatorOptions {
  // Where the allocations live: one file per address, named by it
  // ("172.17.0.2") and holding its owner, so that taking an address is one
  // exclusive link(2) and releasing it one unlink(2).
  std::string dir;
  // The bridge's network; its network and broadcast addresses are never
  // handed out. At most a /30.
  Ipv4Prefix subnet;
  // --fixed-cidr: where addresses come from unless one is requested. Its
  // own first and last addresses are skipped, as Docker does. Unset: the
  // whole subnet.
  std::optional<Ipv4Prefix> range;
  // The bridge's own address, reserved.
  Ipv4 gateway;
};

// IPv4 addresses of one subnet for owners (container IDs). Allocating for
// an owner that already holds an address returns that address, so a retry
// or a restart never takes a second one. Dynamic allocation continues
// after the last address handed out and wraps, so a released address is
// not reused at once. Thread-safe.
class IpAllocator {
 public:
  // Loads the allocations in `options.dir` (creating it). Allocations from
  // an earlier subnet are kept, and releasable, but never handed out anew.
  static absl::StatusOr<std::unique_ptr<IpAllocator>> Open(
      IpAllocatorOptions options);

  // The owner's address. `requested` must lie in the subnet, must not be
  // reserved (InvalidArgument) nor held by another owner (AlreadyExists);
  // an owner asking for another address than the one it holds is
  // FailedPrecondition. ResourceExhausted when the range is full.
  absl::StatusOr<Ipv4> Allocate(const std::string& owner,
                                std::optional<Ipv4> requested = std::nullopt);

  // Frees the owner's address; OK when it holds none.
  absl::Status Release(const std::string& owner);

  std::optional<Ipv4> Lookup(const std::string& owner) const;

  // Every allocation, by address.
  std::vector<std::pair<Ipv4, std::string>> Allocations() const;

  const IpAllocatorOptions& options() const { return options_; }

 private:
  explicit IpAllocator(IpAllocatorOptions options);
  absl::Status Load();
  bool Reserved(Ipv4 ip) const;
  absl::Status Persist(Ipv4 ip, const std::string& owner);

  const IpAllocatorOptions options_;
  const Ipv4Prefix range_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<Ipv4, std::string> owner_of_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Ipv4> ip_of_ ABSL_GUARDED_BY(mu_);
  Ipv4 last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_IPAM_IP_ALLOCATOR_H_
