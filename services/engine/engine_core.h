#ifndef BERTH_SERVICES_ENGINE_ENGINE_CORE_H_
#define BERTH_SERVICES_ENGINE_ENGINE_CORE_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "lib/job/dispatcher.h"
#include "lib/job/handler_registry.h"
#include "lib/rpc/channels.h"
#include "proto/config.pb.h"
#include "proto/engine.pb.h"
#include "proto/job.pb.h"
#include "services/engine/event_log.h"

namespace berth {

// The engine's state and operations. The gRPC services and the built-in
// jobs are thin adapters over it, so a job and its RPC share one
// implementation.
class EngineCore {
 public:
  EngineCore(v1::DaemonConfig config, std::string engine_id,
             DispatcherConfig dispatcher_config = {});

  HandlerRegistry& registry() { return registry_; }
  Dispatcher& dispatcher() { return dispatcher_; }
  EventLog& events() { return events_; }
  const v1::DaemonConfig& config() const { return config_; }

  v1::VersionInfo Version() const;
  v1::SystemInfo Info();
  v1::Event Log(v1::Event event);

  // Registers the handlers of a remote `service` as forwarders to its
  // `address`; the returned token is for Unregister.
  absl::StatusOr<uint64_t> RegisterRemote(const v1::RegisterRequest& request);
  void Unregister(const std::string& service, uint64_t token);

  v1::CommandsReply Commands() const;
  absl::StatusOr<v1::ResolveReply> Resolve(const std::string& name) const;

  // The shutdown protocol; ends event streams and held registrations.
  v1::ShutdownReply Shutdown();
  // Waits up to `timeout` for Shutdown; true once it has begun.
  bool WaitShutdown(absl::Duration timeout) {
    return stopping_.WaitForNotificationWithTimeout(timeout);
  }

 private:
  const v1::DaemonConfig config_;
  const std::string engine_id_;
  HandlerRegistry registry_;
  Dispatcher dispatcher_;
  EventLog events_;
  ChannelCache channels_;
  absl::Notification stopping_;

  mutable absl::Mutex mu_;
  // service -> gRPC target, for Resolve.
  absl::flat_hash_map<std::string, std::string> addresses_ ABSL_GUARDED_BY(mu_);
};

// The service name of the engine's own jobs.
inline constexpr char kEngineService[] = "engine";

}  // namespace berth

#endif  // BERTH_SERVICES_ENGINE_ENGINE_CORE_H_
