#ifndef BERTH_LIB_BASE_SD_NOTIFY_H_
#define BERTH_LIB_BASE_SD_NOTIFY_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET with systemd's datagram
// protocol. Returns false without error when NOTIFY_SOCKET is unset.
absl::StatusOr<bool> SdNotify(absl::string_view state);

}  // namespace berth

#endif  // BERTH_LIB_BASE_SD_NOTIFY_H_
