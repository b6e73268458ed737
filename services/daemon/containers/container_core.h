#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_CORE_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_CORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/container.pb.h"
#include "services/daemon/containers/container_network.h"
#include "services/daemon/graphdriver/driver.h"
#include "services/daemon/images/image_core.h"
#include "services/daemon/volumes/volume_store.h"

namespace berth {

// The first of Debian's static inits that is installed.
std::string DefaultInitBinary();

struct ContainerCoreOptions {
  // <data-root>/containers: config.v2.json and the json-file log, per
  // container.
  std::string root;
  // <exec-root>/containers: each running container's bundle (config.json,
  // shim.json, the shim's socket and exit file, the netns pin).
  std::string run_root;
  std::string shim_binary;
  // A static init (Debian's docker-init or tini-static), bind-mounted as
  // /sbin/docker-init for --init: static, as the image may have no libc.
  std::string init_binary = DefaultInitBinary();
  // "native" or "oci".
  std::string exec_driver = "native";
  std::string runc_binary = "runc";
  // json-file defaults when the container sets none: rotation is on, as
  // users ask for it.
  int64_t log_max_size = 20 << 20;
  int log_max_files = 5;
  // berthd's --dns and --dns-search: containers' defaults.
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
};

// What a running container offers to the operations that work inside it
// (exec, top, stats).
struct RunningContainer {
  std::string id;
  // With the leading "/".
  std::string name;
  // Its bundle: config.json, the shim's socket and files.
  std::string bundle;
  std::string socket;
  // The mounted rootfs, as the host sees it.
  std::string rootfs;
  std::string cgroups_path;
  v1::ContainerDetail detail;
};

// A container's filesystem held for an operation on it (docker diff, cp,
// export, commit): mounted, running or not, and the container is not
// removed, until ContainerCore::ReleaseFs.
struct ContainerFsLease {
  std::string id;
  // The graph driver's layers: the container's own, and its "-init" one
  // below it (Docker's mount targets), which its changes are relative to.
  std::string layer;
  std::string init_layer;
  // The full view, as the host sees it.
  std::string rootfs;
  v1::ContainerDetail detail;
};

// The daemon's container half: every container job and RPC is an adapter
// over one of these methods. Thread-safe.
class ContainerCore {
 public:
  // `volumes` holds the named and anonymous volumes containers mount;
  // `network` plugs containers into berth-netd's bridge.
  ContainerCore(ContainerCoreOptions options, GraphDriver* driver,
                ImageCore* images, VolumeStore* volumes,
                ContainerNetwork* network);
  ~ContainerCore();

  // Loads every container; reconnects to the shims of running ones and
  // records the exits that happened while the daemon was away.
  absl::Status Restore();

  absl::StatusOr<v1::CreateContainerReply> Create(
      const v1::CreateContainerRequest& request);
  absl::StatusOr<v1::StartContainerReply> Start(const std::string& name);
  absl::StatusOr<v1::StopContainerReply> Stop(
      const v1::StopContainerRequest& request);
  absl::Status Restart(const v1::StopContainerRequest& request);
  absl::Status Kill(const v1::KillContainerRequest& request);
  // Blocks until the condition holds or `cancelled` says so; calls
  // `registered` (without the lock) once the condition is pinned to the
  // container, so that a caller can tell its client to go on.
  absl::StatusOr<v1::WaitContainerReply> Wait(
      const v1::WaitContainerRequest& request,
      const std::function<void()>& registered,
      const std::function<bool()>& cancelled);
  absl::Status Remove(const v1::RemoveContainerRequest& request);
  absl::StatusOr<v1::ListContainersReply> List(
      const v1::ListContainersRequest& request);
  absl::StatusOr<v1::ContainerDetail> Inspect(const std::string& name);
  absl::Status Logs(const v1::LogsRequest& request,
                    const std::function<bool(const v1::LogsReply&)>& send,
                    const std::function<bool()>& cancelled);
  // Sends the stream settings, then (once it runs) the shim's socket.
  absl::Status Attach(const v1::AttachRequest& request,
                      const std::function<bool(const v1::AttachEvent&)>& send,
                      const std::function<bool()>& cancelled);
  absl::Status Resize(const v1::ResizeRequest& request);

  absl::Status Pause(const std::string& name);
  absl::Status Unpause(const std::string& name);
  absl::Status Rename(const v1::RenameRequest& request);
  // docker network connect / disconnect: at once on a running container
  // (a new interface, and the hosts files of the network's members), at
  // its next start otherwise.
  absl::Status ConnectNetwork(const v1::NetworkConnectRequest& request);
  absl::Status DisconnectNetwork(const v1::NetworkConnectRequest& request);
  // Removes every stopped container the filters (until, label, label!)
  // select.
  absl::StatusOr<v1::PruneContainersReply> Prune(
      const v1::PruneContainersRequest& request);
  v1::ContainerCounts Counts();

  // Aborted (409) when it is not running; `allow_paused` false makes a
  // paused container Aborted too.
  absl::StatusOr<RunningContainer> GetRunning(const std::string& name,
                                              bool allow_paused);

  // Mounts the container's filesystem for `operation` ("export",
  // "commit", ...), which names it in Docker's refusal (Aborted, 409) of
  // a container that is dead or being removed. Removing the container
  // is refused until every lease is released.
  absl::StatusOr<ContainerFsLease> AcquireFs(const std::string& name,
                                             absl::string_view operation);
  void ReleaseFs(const ContainerFsLease& lease);

  // Called with the lock held when a run ends (just before its bundle is
  // removed: whatever the shim left there is still readable) and, with
  // `removed`, when the container is removed. Must not call back into
  // the core.
  using RuntimeObserver = std::function<void(
      const std::string& id, const std::string& bundle, bool removed)>;
  void AddRuntimeObserver(RuntimeObserver observer);

  // The short ID of a container made from `image`, "" if none.
  std::string ImageUser(const Digest& image);
  // berth-daemon is stopping: nothing new starts. Running containers keep
  // running under their shims.
  void Shutdown();

 private:
  struct Entry;

  absl::StatusOr<std::shared_ptr<Entry>> Find(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Persist(const Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Bundle(const std::string& id) const;
  // List without the sizes.
  absl::StatusOr<v1::ListContainersReply> ListUnsized(
      const v1::ListContainersRequest& request) ABSL_LOCKS_EXCLUDED(mu_);
  // The container's own writes, in bytes (Docker's SizeRw).
  int64_t SizeRw(const std::string& id) const;
  // AlreadyExists (409) when another container has `name` ("/x").
  absl::Status NameFree(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status StartLocked(std::shared_ptr<Entry> entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // hostname, hosts (with its own address and its links) and resolv.conf.
  absl::Status PrepareFiles(Entry& entry, const std::vector<LinkedChild>& links)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Its /etc/hosts: localhost, --add-host, links, its own addresses and
  // the other containers on its user networks.
  std::string HostsContent(const Entry& entry,
                           const std::vector<LinkedChild>& links)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rewrites the hosts files of the running containers on `networks`.
  void RefreshHosts(const std::vector<std::string>& networks)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The running containers --link names, with their addresses.
  absl::StatusOr<std::vector<LinkedChild>> LinkedChildren(
      const v1::ContainerDetail& detail) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // --network container:NAME: that container, which must be running.
  absl::StatusOr<std::shared_ptr<Entry>> NetworkPeer(
      const v1::ContainerDetail& detail) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The container's "-init" layer on `parent`, with Docker's mount targets.
  absl::Status CreateInitLayer(const std::string& id,
                               const std::string& parent);
  // The container's layer and its init layer, whatever of them exists.
  void RemoveLayers(const std::string& id);
  // Takes the container's volumes (creating missing ones) and records
  // their host directories as the mounts' sources; all or none.
  absl::Status AcquireVolumes(v1::ContainerDetail& detail);
  void ReleaseVolumes(const v1::ContainerDetail& detail, bool remove_anonymous);
  // Docker's copy-up: an empty volume gets the image's content at its
  // mount path.
  absl::Status CopyUpVolumes(const v1::ContainerDetail& detail,
                             const std::string& rootfs);
  void Monitor(std::shared_ptr<Entry> entry, int generation);
  void OnExit(Entry& entry, int exit_code, bool oom_killed, int64_t finished_ns)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseRuntime(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // With `remove_anonymous_volumes` (rm -v, --rm) its anonymous volumes
  // go too.
  absl::Status RemoveLocked(std::shared_ptr<Entry> entry,
                            bool remove_anonymous_volumes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Signal(Entry& entry, int signo)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits on the entry's `changed` until `done` holds (true) or the
  // deadline passes (false).
  bool WaitUntil(Entry& entry, const std::function<bool()>& done,
                 absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits up to `timeout_s` (forever when negative) for the container to
  // stop running.
  bool AwaitStopped(const std::shared_ptr<Entry>& entry, int timeout_s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ContainerCoreOptions options_;
  GraphDriver* const driver_;
  ImageCore* const images_;
  VolumeStore* const volumes_;
  ContainerNetwork* const network_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> containers_
      ABSL_GUARDED_BY(mu_);
  // "/name" -> ID.
  absl::flat_hash_map<std::string, std::string> names_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<RuntimeObserver> observers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_CORE_H_
