#ifndef BERTH_SERVICES_NETD_NETLINK_NETNS_H_
#define BERTH_SERVICES_NETD_NETLINK_NETNS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::netd {

// Runs `fn` on a short-lived thread that first joins the network namespace
// at `netns_path` (a pinned netns file, or /proc/PID/ns/net). setns(2)
// moves only the calling thread, so the rest of the process never sees
// the other namespace; sockets `fn` opens stay in it after the thread
// ends. NotFound when the path does not exist, InvalidArgument when it is
// not a network namespace.
absl::Status RunInNetns(const std::string& netns_path,
                        const std::function<absl::Status()>& fn);

// True when `netns_fd` is the calling thread's own network namespace.
absl::StatusOr<bool> IsOwnNetns(int netns_fd);

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_NETLINK_NETNS_H_
