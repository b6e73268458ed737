#ifndef BERTH_SERVICES_NETD_LINK_REAPER_H_
#define BERTH_SERVICES_NETD_LINK_REAPER_H_

#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "services/netd/netlink/netlink.h"

namespace berth::netd {

// Deletes links off the request path. The kernel's teardown of a veth
// pair waits out RCU grace periods (15-30 ms here), which a stopping
// container should not wait for; its address and rules are released at
// once, and the pair goes a little later. A name still queued can be
// awaited before it is used again.
class LinkReaper {
 public:
  // `netlink` is the reaper thread's own connection, used by nothing else.
  explicit LinkReaper(Netlink* netlink);
  // Deletes what is still queued first.
  ~LinkReaper();

  void Delete(const std::string& name);
  // Returns once `name` is not queued or being deleted.
  void AwaitGone(const std::string& name);

 private:
  void Run();

  Netlink* const netlink_;
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  // Queued or being deleted.
  absl::flat_hash_set<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_LINK_REAPER_H_
