#include "services/daemon/containers/container_core.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/docker/json_util.h"
#include "lib/docker/timestamp.h"
#include "lib/docker/units.h"
#include "services/daemon/containers/container_mounts.h"
#include "services/daemon/containers/container_names.h"
#include "services/daemon/containers/log_reader.h"
#include "services/daemon/containers/netns.h"
#include "services/daemon/containers/resolv_conf.h"
#include "services/daemon/containers/shim_client.h"
#include "services/daemon/containers/signals.h"
#include "services/daemon/containers/spec_builder.h"
#include "services/runtime/in_root.h"
#include "services/runtime/oci_config.h"
#include "services/shim/shim_config.h"
#include "services/shim/shim_protocol.h"

namespace berth {
namespace {

constexpr char kConfigFile[] = "config.v2.json";
constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";
constexpr int64_t kMinMemory = 6 << 20;
constexpr int kDefaultStopTimeout = 10;

int64_t NowNs() { return absl::ToUnixNanos(absl::Now()); }

std::string Rfc3339(int64_t ns) { return FormatRfc3339Nano(ns); }

int64_t ParseTime(const std::string& text) {
  absl::StatusOr<int64_t> ns = ParseDockerTimestamp(text);
  return ns.ok() ? *ns : 0;
}

// Docker's units.HumanDuration.
std::string HumanDuration(absl::Duration d) {
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return absl::StrCat(seconds, " seconds");
  int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return absl::StrCat(minutes, " minutes");
  int64_t hours = absl::ToInt64Hours(d);
  if (hours == 1) return "About an hour";
  if (hours < 48) return absl::StrCat(hours, " hours");
  if (hours < 24 * 7 * 2) return absl::StrCat(hours / 24, " days");
  if (hours < 24 * 30 * 2) return absl::StrCat(hours / 24 / 7, " weeks");
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24 / 30, " months");
  return absl::StrCat(hours / 24 / 365, " years");
}

std::vector<std::string> JsonStrings(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const nlohmann::json& item : value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

// The image's config under the container's: what the user left unset
// comes from the image, as `docker run` does.
absl::Status MergeImageConfig(const nlohmann::json& image,
                              v1::ContainerConfig* config) {
  std::vector<std::string> env = JsonStrings(JsonArray(image, "Env"));
  for (const std::string& entry : config->env()) {
    std::string key = entry.substr(0, entry.find('='));
    std::erase_if(env, [&](const std::string& e) {
      return e.substr(0, e.find('=')) == key;
    });
    env.push_back(entry);
  }
  config->mutable_env()->Assign(env.begin(), env.end());
  if (!config->entrypoint_set()) {
    std::vector<std::string> entrypoint =
        JsonStrings(JsonArray(image, "Entrypoint"));
    config->mutable_entrypoint()->Assign(entrypoint.begin(), entrypoint.end());
    if (config->cmd().empty()) {
      std::vector<std::string> cmd = JsonStrings(JsonArray(image, "Cmd"));
      config->mutable_cmd()->Assign(cmd.begin(), cmd.end());
    }
  }
  if (config->working_dir().empty()) {
    config->set_working_dir(JsonString(image, "WorkingDir"));
  }
  if (config->user().empty()) config->set_user(JsonString(image, "User"));
  if (config->stop_signal().empty()) {
    config->set_stop_signal(JsonString(image, "StopSignal"));
  }
  nlohmann::json labels = JsonObject(image, "Labels");
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    if (it.value().is_string() && !config->labels().contains(it.key())) {
      (*config->mutable_labels())[it.key()] = it.value().get<std::string>();
    }
  }
  nlohmann::json volumes = JsonObject(image, "Volumes");
  for (auto it = volumes.begin(); it != volumes.end(); ++it) {
    if (std::find(config->volumes().begin(), config->volumes().end(),
                  it.key()) == config->volumes().end()) {
      config->add_volumes(it.key());
    }
  }
  nlohmann::json ports = JsonObject(image, "ExposedPorts");
  for (auto it = ports.begin(); it != ports.end(); ++it) {
    if (std::find(config->exposed_ports().begin(),
                  config->exposed_ports().end(),
                  it.key()) == config->exposed_ports().end()) {
      config->add_exposed_ports(it.key());
    }
  }
  if (config->entrypoint().empty() && config->cmd().empty()) {
    return absl::InvalidArgumentError("no command specified");
  }
  return absl::OkStatus();
}

absl::Status ValidateHostConfig(const v1::HostConfig& host) {
  if (host.memory() != 0 && host.memory() < kMinMemory) {
    return absl::InvalidArgumentError("Minimum memory limit allowed is 6MB");
  }
  if (host.memory_swap() > 0 && host.memory() == 0) {
    return absl::InvalidArgumentError(
        "You should always set the Memory limit when using Memoryswap limit, "
        "see usage");
  }
  if (host.memory_swap() > 0 && host.memory_swap() < host.memory()) {
    return absl::InvalidArgumentError(
        "Minimum memoryswap limit should be larger than memory limit, see "
        "usage");
  }
  if (host.nano_cpus() < 0) {
    return absl::InvalidArgumentError("invalid CPU value: must be positive");
  }
  if (host.nano_cpus() > 0) {
    int64_t available = sysconf(_SC_NPROCESSORS_ONLN) * int64_t{1000000000};
    if (host.nano_cpus() > available) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "range of CPUs is from 0.01 to %d.00, as there are only %d CPUs "
          "available",
          available / 1000000000, available / 1000000000));
    }
  }
  if (host.nano_cpus() > 0 && (host.cpu_quota() > 0 || host.cpu_period() > 0)) {
    return absl::InvalidArgumentError(
        "Conflicting options: Nano CPUs and CPU Period/Quota cannot both be "
        "set");
  }
  const std::string& policy = host.restart_policy().name();
  if (!policy.empty() && policy != "no" && policy != "always" &&
      policy != "unless-stopped" && policy != "on-failure") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid restart policy '", policy, "'"));
  }
  if (host.auto_remove() && !policy.empty() && policy != "no") {
    return absl::InvalidArgumentError(
        "can't create 'AutoRemove' container with restart policy");
  }
  if (host.network_mode() == "container:") {
    return absl::InvalidArgumentError(
        "invalid network mode: container: needs a container name or ID");
  }
  for (const v1::MountPoint& mount : host.mounts()) {
    if (mount.destination().empty() || mount.destination()[0] != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid mount config for type \"", mount.type(),
                       "\": invalid mount path: '", mount.destination(),
                       "' mount path must be absolute"));
    }
    if (mount.type() == "bind") {
      struct stat st;
      if (mount.source().empty() || mount.source()[0] != '/' ||
          stat(mount.source().c_str(), &st) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid mount config for type \"bind\": bind source path does "
            "not exist: ",
            mount.source()));
      }
    }
  }
  return absl::OkStatus();
}

std::string StatusText(const v1::ContainerState& state) {
  absl::Time now = absl::Now();
  const std::string& status = state.status();
  if (status == "running" || status == "paused") {
    std::string text = absl::StrCat(
        "Up ", HumanDuration(
                   now - absl::FromUnixNanos(ParseTime(state.started_at()))));
    if (status == "paused") absl::StrAppend(&text, " (Paused)");
    return text;
  }
  if (status == "exited") {
    return absl::StrCat("Exited (", state.exit_code(), ") ",
                        HumanDuration(now - absl::FromUnixNanos(ParseTime(
                                                state.finished_at()))),
                        " ago");
  }
  if (status == "created") return "Created";
  if (status == "restarting") return "Restarting";
  return absl::AsciiStrToUpper(status.substr(0, 1)) + status.substr(1);
}

// Docker's "-init" layer between the image and the container: the mount
// targets every container needs, so they are not the container's changes.
std::string InitLayerId(const std::string& id) { return id + "-init"; }

// A container whose filesystem a docker cp, diff, export or commit holds
// stays until they are done.
absl::Status FsInUseError(const std::string& name) {
  return absl::AbortedError(absl::StrCat(
      "cannot remove container \"", name,
      "\": a docker cp, diff, export or commit is using its filesystem; try "
      "again once it is done"));
}

std::string CgroupsPath(const std::string& id) {
  return absl::StrCat("/berth/", id);
}

// Prune's "until": a timestamp, or a Go duration back from now ("24h").
absl::StatusOr<int64_t> ParseUntil(const std::string& value, int64_t now_ns) {
  absl::Duration ago;
  if (absl::ParseDuration(value, &ago)) {
    return now_ns - absl::ToInt64Nanoseconds(ago);
  }
  return ParseDockerTimestamp(value);
}

bool Running(const v1::ContainerDetail& detail) {
  return detail.state().status() == "running" ||
         detail.state().status() == "paused";
}

// On the default bridge, where links live.
bool OnBridge(const v1::HostConfig& host) {
  return host.network_mode() == kBridgeNetwork;
}

// The container makes a network namespace of its own (bridge, none, a
// user network).
bool OwnsNetns(const v1::HostConfig& host) {
  return host.network_mode() != "host" &&
         !absl::StartsWith(host.network_mode(), "container:");
}

// Its interfaces come from berth-netd (the bridge or a user network).
bool UsesNetd(const v1::HostConfig& host) {
  return OwnsNetns(host) && host.network_mode() != "none";
}

// Docker's built-in network modes, which berth-netd does not manage
// (the default bridge aside).
bool IsBuiltinMode(const std::string& mode) {
  return mode == kBridgeNetwork || mode == "none" || mode == "host" ||
         absl::StartsWith(mode, "container:");
}

// The user networks a container is on, whose members' hosts files name it.
std::vector<std::string> UserNetworks(const v1::ContainerDetail& detail) {
  std::vector<std::string> networks;
  for (const auto& [network, endpoint] : detail.network_settings().networks()) {
    if (!IsBuiltinMode(network)) networks.push_back(network);
  }
  return networks;
}

absl::Status OverwriteFile(const std::string& path,
                           const std::string& contents) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, absl::StrCat("open ", path));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("write ", path));
    done += n;
  }
  return absl::OkStatus();
}

// Matches a `docker ps --filter` value set against one container.
bool MatchesFilters(
    const v1::ContainerDetail& detail,
    const google::protobuf::Map<std::string, v1::FilterValues>& filters) {
  for (const auto& [key, values] : filters) {
    auto any = [&](auto pred) {
      for (const std::string& value : values.values()) {
        if (pred(value)) return true;
      }
      return values.values().empty();
    };
    bool ok = true;
    if (key == "id") {
      ok = any([&](const std::string& v) {
        return absl::StartsWith(detail.id(), v);
      });
    } else if (key == "name") {
      ok = any([&](const std::string& v) {
        return absl::StrContains(detail.name(), absl::StripPrefix(v, "/"));
      });
    } else if (key == "status") {
      ok = any(
          [&](const std::string& v) { return detail.state().status() == v; });
    } else if (key == "exited") {
      ok = any([&](const std::string& v) {
        return detail.state().status() == "exited" &&
               std::to_string(detail.state().exit_code()) == v;
      });
    } else if (key == "label") {
      ok = any([&](const std::string& v) {
        size_t eq = v.find('=');
        auto it = detail.config().labels().find(v.substr(0, eq));
        if (it == detail.config().labels().end()) return false;
        return eq == std::string::npos || it->second == v.substr(eq + 1);
      });
    } else if (key == "ancestor") {
      ok = any([&](const std::string& v) {
        return detail.config().image() == v ||
               absl::StartsWith(detail.image_id(), v) ||
               absl::StartsWith(detail.image_id(), "sha256:" + v);
      });
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

struct ContainerCore::Entry {
  v1::ContainerDetail detail;
  // detail.created, parsed once: listings sort by it.
  int64_t created_ns = 0;
  // Bumped at every exit, so a waiter sees "the next exit".
  int exits = 0;
  // Bumped at every start that got as far as a listening shim.
  int starts = 0;
  bool removed = false;
  bool starting = false;
  // Stopped by the user: the restart policy leaves it alone.
  bool stopped_by_user = false;
  int pending_attaches = 0;
  // The shim's socket for the current run; "" when not running.
  std::string socket;
  bool rootfs_held = false;
  // AcquireFs leases not yet released.
  int fs_leases = 0;
  // Where the rootfs is mounted while held.
  std::string rootfs;
  // Signalled whenever what waiters look at changes: the state, starts,
  // exits, removal. A CondVar rather than Mutex::Await: with many
  // waiters, Await makes every unlock of mu_ evaluate all their
  // conditions.
  absl::CondVar changed;
  std::string netns;
};

std::string DefaultInitBinary() {
  for (const char* path : {"/usr/bin/docker-init", "/usr/bin/tini-static"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "/usr/bin/docker-init";
}

ContainerCore::ContainerCore(ContainerCoreOptions options, GraphDriver* driver,
                             ImageCore* images, VolumeStore* volumes,
                             ContainerNetwork* network)
    : options_(std::move(options)),
      driver_(driver),
      images_(images),
      volumes_(volumes),
      network_(network) {}

// Monitor threads block on shims for as long as containers run; the
// process exits under them.
ContainerCore::~ContainerCore() = default;

std::string ContainerCore::Bundle(const std::string& id) const {
  return absl::StrCat(options_.run_root, "/", id);
}

absl::Status ContainerCore::Persist(const Entry& entry) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  auto status =
      google::protobuf::util::MessageToJsonString(entry.detail, &json, print);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("serialize container state: ", status.ToString()));
  }
  return WriteFileAtomic(
      absl::StrCat(options_.root, "/", entry.detail.id(), "/", kConfigFile),
      json, 0600);
}

absl::StatusOr<std::shared_ptr<ContainerCore::Entry>> ContainerCore::Find(
    const std::string& name) {
  if (name.empty()) return absl::NotFoundError("No such container: ");
  if (auto it = containers_.find(name); it != containers_.end()) {
    return it->second;
  }
  std::string slashed = absl::StartsWith(name, "/") ? name : "/" + name;
  if (auto it = names_.find(slashed); it != names_.end()) {
    return containers_.at(it->second);
  }
  std::shared_ptr<Entry> found;
  for (const auto& [id, entry] : containers_) {
    if (!absl::StartsWith(id, name)) continue;
    if (found) {
      return absl::InvalidArgumentError(
          absl::StrCat("multiple IDs found with provided prefix: ", name));
    }
    found = entry;
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("No such container: ", name));
  }
  return found;
}

absl::Status ContainerCore::Restore() {
  BERTH_RETURN_IF_ERROR(MakeDirs(options_.root, 0710));
  BERTH_RETURN_IF_ERROR(MakeDirs(options_.run_root, 0700));
  std::vector<std::shared_ptr<Entry>> running;
  {
    absl::MutexLock lock(&mu_);
    std::error_code error;
    for (const auto& dir :
         std::filesystem::directory_iterator(options_.root, error)) {
      std::string id = dir.path().filename();
      absl::StatusOr<std::string> json =
          ReadFile(absl::StrCat(dir.path().string(), "/", kConfigFile));
      auto entry = std::make_shared<Entry>();
      if (!json.ok() ||
          !google::protobuf::util::JsonStringToMessage(*json, &entry->detail)
               .ok() ||
          entry->detail.id() != id) {
        // A create that crashed before its state was written.
        LOG(WARNING) << "removing incomplete container " << id;
        RemoveLayers(id);
        std::filesystem::remove_all(dir.path(), error);
        continue;
      }
      entry->created_ns = ParseTime(entry->detail.created());
      // Before the API serves: a volume in use must not look unused.
      absl::Status acquired = AcquireVolumes(entry->detail);
      if (!acquired.ok()) {
        LOG(WARNING) << "container " << id.substr(0, 12) << ": " << acquired;
      }
      names_[entry->detail.name()] = id;
      containers_[id] = entry;
      if (Running(entry->detail)) running.push_back(entry);
    }
    for (const std::shared_ptr<Entry>& entry : running) {
      const std::string& id = entry->detail.id();
      std::string bundle = Bundle(id);
      absl::StatusOr<std::string> rootfs = driver_->Get(id);
      entry->rootfs_held = rootfs.ok();
      if (rootfs.ok()) entry->rootfs = *rootfs;
      if (OwnsNetns(entry->detail.host_config())) {
        entry->netns = absl::StrCat(bundle, "/netns");
      }
      absl::StatusOr<ExitRecord> exit = ReadExitFile(bundle);
      if (exit.ok()) {
        LOG(INFO) << "container " << id.substr(0, 12)
                  << " exited while berth-daemon was away (code "
                  << exit->exit_code << ")";
        OnExit(*entry, exit->exit_code, exit->oom_killed, exit->finished_ns);
        continue;
      }
      entry->socket = absl::StrCat(bundle, "/", shim::kSocketFile);
      std::thread(&ContainerCore::Monitor, this, entry, entry->exits).detach();
      LOG(INFO) << "reconnected to the shim of container " << id.substr(0, 12);
    }
  }
  images_->SetContainerUser(
      [this](const Digest& image) { return ImageUser(image); });
  return absl::OkStatus();
}

absl::Status ContainerCore::NameFree(const std::string& name) {
  auto it = names_.find(name);
  if (it == names_.end()) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat(
      "Conflict. The container name \"", name,
      "\" is already in use by container \"", it->second,
      "\". You have to remove (or rename) that container to be able to "
      "reuse that name."));
}

absl::StatusOr<v1::CreateContainerReply> ContainerCore::Create(
    const v1::CreateContainerRequest& request) {
  std::string name = request.name();
  if (!name.empty()) BERTH_RETURN_IF_ERROR(ValidateContainerName(name));
  if (request.config().image().empty()) {
    return absl::InvalidArgumentError("config.Image is required");
  }
  BERTH_ASSIGN_OR_RETURN(Image image,
                         images_->Resolve(request.config().image()));
  auto entry = std::make_shared<Entry>();
  v1::ContainerDetail& detail = entry->detail;
  *detail.mutable_config() = request.config();
  *detail.mutable_host_config() = request.host_config();
  BERTH_RETURN_IF_ERROR(MergeImageConfig(JsonObject(image.config, "config"),
                                         detail.mutable_config()));
  BERTH_RETURN_IF_ERROR(ValidateHostConfig(detail.host_config()));
  BERTH_ASSIGN_OR_RETURN(
      std::vector<v1::MountPoint> mounts,
      ResolveMounts(detail.host_config(), {detail.config().volumes().begin(),
                                           detail.config().volumes().end()}));
  for (const v1::MountPoint& mount : mounts) {
    // As dockerd: a -v bind's missing host directory is made (a --mount
    // bind's was refused above).
    if (mount.type() == "bind" && access(mount.source().c_str(), F_OK) != 0) {
      BERTH_RETURN_IF_ERROR(MakeDirs(mount.source(), 0755));
    }
  }
  detail.mutable_mounts()->Assign(mounts.begin(), mounts.end());
  v1::HostConfig& host = *detail.mutable_host_config();
  if (host.network_mode().empty() || host.network_mode() == "default") {
    host.set_network_mode(kBridgeNetwork);
  }
  if (!OnBridge(host) && host.links_size() > 0) {
    return absl::InvalidArgumentError(
        "conflicting options: links are only supported on the default "
        "bridge network");
  }
  // Malformed -p bindings are refused now rather than at start.
  BERTH_RETURN_IF_ERROR(PortsToPublish(detail).status());
  if (!IsBuiltinMode(host.network_mode())) {
    BERTH_ASSIGN_OR_RETURN(v1::Network network,
                           network_->Lookup(host.network_mode()));
    host.set_network_mode(network.name());
    v1::EndpointSettings& endpoint =
        (*detail.mutable_network_settings()
              ->mutable_networks())[network.name()];
    endpoint.set_network_id(network.id());
    for (const auto& [name, given] : request.endpoints()) {
      if (name == network.name() || name == network.id()) {
        *endpoint.mutable_aliases() = given.aliases();
      }
    }
  } else if (!absl::StartsWith(host.network_mode(), "container:")) {
    (*detail.mutable_network_settings()
          ->mutable_networks())[host.network_mode()]
        .set_network_id(host.network_mode());
  }
  BERTH_ASSIGN_OR_RETURN(std::string parent_layer, images_->TopLayerId(image));

  std::string id = RandomId();
  detail.set_id(id);
  if (detail.config().hostname().empty()) {
    detail.mutable_config()->set_hostname(id.substr(0, 12));
  }
  std::vector<std::string> command(detail.config().entrypoint().begin(),
                                   detail.config().entrypoint().end());
  command.insert(command.end(), detail.config().cmd().begin(),
                 detail.config().cmd().end());
  detail.set_path(command[0]);
  for (size_t i = 1; i < command.size(); ++i) detail.add_args(command[i]);
  entry->created_ns = NowNs();
  detail.set_created(Rfc3339(entry->created_ns));
  detail.set_image_id(image.id.ToString());
  std::string dir = absl::StrCat(options_.root, "/", id);
  detail.set_log_path(absl::StrCat(dir, "/", id, "-json.log"));
  detail.set_driver(driver_->Name());
  detail.set_exec_driver(options_.exec_driver);
  detail.set_hostname_path(absl::StrCat(dir, "/hostname"));
  detail.set_hosts_path(absl::StrCat(dir, "/hosts"));
  detail.set_resolv_conf_path(absl::StrCat(dir, "/resolv.conf"));
  v1::ContainerState* state = detail.mutable_state();
  state->set_status("created");
  state->set_started_at(kZeroTime);
  state->set_finished_at(kZeroTime);

  absl::MutexLock lock(&mu_);
  if (shutting_down_) return absl::UnavailableError("the daemon is stopping");
  if (name.empty()) {
    int attempt = 0;
    do {
      name = RandomContainerName(attempt++);
    } while (names_.contains("/" + name));
  }
  name = absl::StartsWith(name, "/") ? name : "/" + name;
  BERTH_RETURN_IF_ERROR(NameFree(name));
  detail.set_name(name);
  for (std::string& link : *host.mutable_links()) {
    BERTH_ASSIGN_OR_RETURN(link, NormalizeLink(link, name));
    BERTH_ASSIGN_OR_RETURN(LinkSpec spec, ParseLink(link));
    // 400, not 404: the docker CLI takes a 404 from create for a missing
    // image and goes to pull it.
    if (!Find(spec.child).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("could not get container for ", spec.child.substr(1)));
    }
  }
  if (absl::StartsWith(host.network_mode(), "container:")) {
    std::string peer = host.network_mode().substr(strlen("container:"));
    if (!Find(peer).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("No such container: ", peer));
    }
  }
  BERTH_RETURN_IF_ERROR(CreateInitLayer(id, parent_layer));
  absl::Status status = driver_->Create(id, InitLayerId(id));
  if (!status.ok()) {
    (void)driver_->Remove(InitLayerId(id));
    return status;
  }
  status = AcquireVolumes(detail);
  if (!status.ok()) {
    RemoveLayers(id);
    return status;
  }
  status = MakeDirs(dir, 0710);
  if (status.ok()) status = Persist(*entry);
  if (!status.ok()) {
    ReleaseVolumes(detail, /*remove_anonymous=*/true);
    RemoveLayers(id);
    std::error_code error;
    std::filesystem::remove_all(dir, error);
    return status;
  }
  containers_[id] = entry;
  names_[name] = id;
  LOG(INFO) << "created container " << id.substr(0, 12) << " " << name;
  v1::CreateContainerReply reply;
  reply.set_id(id);
  return reply;
}

absl::Status ContainerCore::CreateInitLayer(const std::string& id,
                                            const std::string& parent) {
  std::string init = InitLayerId(id);
  BERTH_RETURN_IF_ERROR(driver_->Create(init, parent));
  absl::Status status = [&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string root, driver_->Get(init));
    absl::Cleanup put = [&] { (void)driver_->Put(init); };
    UniqueFd root_fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (root_fd.get() < 0) return ErrnoStatus(errno, root);
    // The image is not trusted: every path resolves inside its root.
    for (const char* dir : {"/dev/pts", "/dev/shm", "/proc", "/sys"}) {
      int result = runtime::MkdirAllInRoot(root_fd.get(), dir, 0755);
      if (result < 0) return ErrnoStatus(-result, dir);
    }
    for (const char* file : {"/.dockerenv", "/etc/resolv.conf", "/etc/hosts",
                             "/etc/hostname", "/dev/console"}) {
      int result = runtime::CreateFileInRoot(root_fd.get(), file, 0755);
      if (result < 0) return ErrnoStatus(-result, file);
    }
    int result =
        runtime::SymlinkInRoot(root_fd.get(), "/proc/mounts", "/etc/mtab");
    if (result < 0) return ErrnoStatus(-result, "/etc/mtab");
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    (void)driver_->Remove(init);
    return absl::Status(status.code(), absl::StrCat("container init layer: ",
                                                    status.message()));
  }
  return absl::OkStatus();
}

absl::Status ContainerCore::AcquireVolumes(v1::ContainerDetail& detail) {
  for (v1::MountPoint& mount : *detail.mutable_mounts()) {
    if (mount.type() != "volume") continue;
    absl::StatusOr<v1::Volume> volume =
        volumes_->Acquire(mount.name(), detail.id());
    if (!volume.ok()) {
      ReleaseVolumes(detail, /*remove_anonymous=*/true);
      return volume.status();
    }
    mount.set_name(volume->name());
    mount.set_source(volume->mountpoint());
  }
  return absl::OkStatus();
}

void ContainerCore::ReleaseVolumes(const v1::ContainerDetail& detail,
                                   bool remove_anonymous) {
  for (const v1::MountPoint& mount : detail.mounts()) {
    if (mount.type() != "volume" || mount.name().empty()) continue;
    absl::Status status = volumes_->Release(mount.name(), detail.id());
    if (status.ok() && remove_anonymous && mount.anonymous()) {
      // Another container may have mounted it with --volumes-from: then
      // it stays, as in Docker.
      status = volumes_->Remove(mount.name(), /*force=*/false);
    }
    if (!status.ok() && !absl::IsAborted(status)) {
      LOG(WARNING) << "container " << detail.id().substr(0, 12) << ": "
                   << status;
    }
  }
}

absl::Status ContainerCore::CopyUpVolumes(const v1::ContainerDetail& detail,
                                          const std::string& rootfs) {
  UniqueFd root_fd;
  for (const v1::MountPoint& mount : detail.mounts()) {
    if (mount.type() != "volume" || mount.no_copy()) continue;
    if (root_fd.get() < 0) {
      root_fd.reset(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (root_fd.get() < 0) return ErrnoStatus(errno, rootfs);
    }
    // The image decides what the path is: resolve it inside the rootfs
    // and copy from the directory that resolution reached.
    int fd = runtime::OpenInRoot(root_fd.get(), mount.destination().c_str(),
                                 O_PATH | O_DIRECTORY, 0);
    if (fd < 0) continue;  // nothing in the image there
    UniqueFd source(fd);
    char path[32];
    // "/." so that the magic link is followed even by an lstat.
    absl::StatusOr<bool> copied = volumes_->CopyUp(
        mount.name(),
        absl::StrCat(runtime::ProcFdPath(source.get(), path, sizeof(path)),
                     "/."));
    if (!copied.ok()) {
      return absl::Status(
          copied.status().code(),
          absl::StrCat("copying the image's ", mount.destination(),
                       " into volume ", mount.name(), ": ",
                       copied.status().message()));
    }
  }
  return absl::OkStatus();
}

void ContainerCore::RemoveLayers(const std::string& id) {
  (void)driver_->Remove(id);
  (void)driver_->Remove(InitLayerId(id));
}

absl::Status ContainerCore::PrepareFiles(
    Entry& entry, const std::vector<LinkedChild>& links) {
  const v1::ContainerDetail& detail = entry.detail;
  const std::string& hostname = detail.config().hostname();
  // Rebuilt at every start: no fsyncs for them.
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(detail.hostname_path(), hostname + "\n", 0644, false));
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(
      detail.hosts_path(), HostsContent(entry, links), 0644, false));
  const v1::HostConfig& host = detail.host_config();
  DnsSettings dns;
  dns.nameservers.assign(host.dns().begin(), host.dns().end());
  dns.search.assign(host.dns_search().begin(), host.dns_search().end());
  dns.options.assign(host.dns_options().begin(), host.dns_options().end());
  // berthd's --dns and --dns-search, when the container sets none.
  if (dns.nameservers.empty()) dns.nameservers = options_.dns;
  if (dns.search.empty()) dns.search = options_.dns_search;
  std::string resolv =
      ContainerResolvConf(ReadFile("/etc/resolv.conf").value_or(""), dns);
  return WriteFileAtomic(detail.resolv_conf_path(), resolv, 0644, false);
}

std::string ContainerCore::HostsContent(const Entry& entry,
                                        const std::vector<LinkedChild>& links) {
  const v1::ContainerDetail& detail = entry.detail;
  std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\t"
      "ip6-allnodes\nff02::2\tip6-allrouters\n";
  for (const std::string& extra : detail.host_config().extra_hosts()) {
    size_t colon = extra.find(':');
    if (colon == std::string::npos) continue;
    absl::StrAppend(&hosts, extra.substr(colon + 1), "\t",
                    extra.substr(0, colon), "\n");
  }
  for (const LinkedChild& link : links) {
    absl::StrAppend(&hosts, LinkHostsLine(link));
  }
  const auto& networks = detail.network_settings().networks();
  for (const auto& [network, endpoint] : networks) {
    if (endpoint.ip_address().empty()) continue;
    absl::StrAppend(&hosts, endpoint.ip_address(), "\t",
                    detail.config().hostname(), "\n");
  }
  // Name resolution on user networks (berth keeps hosts files rather than
  // running a DNS server): every other running container on a network
  // this one shares, by name, aliases and short ID.
  for (const auto& [id, other] : containers_) {
    if (other.get() == &entry || !Running(other->detail)) continue;
    for (const auto& [network, theirs] :
         other->detail.network_settings().networks()) {
      auto mine = networks.find(network);
      if (network == kBridgeNetwork || mine == networks.end() ||
          mine->second.ip_address().empty() || theirs.ip_address().empty()) {
        continue;
      }
      absl::StrAppend(&hosts, theirs.ip_address(), "\t",
                      absl::StripPrefix(other->detail.name(), "/"));
      for (const std::string& alias : theirs.aliases()) {
        absl::StrAppend(&hosts, " ", alias);
      }
      absl::StrAppend(&hosts, " ", id.substr(0, 12), "\n");
    }
  }
  return hosts;
}

void ContainerCore::RefreshHosts(const std::vector<std::string>& networks) {
  if (networks.empty()) return;
  for (const auto& [id, entry] : containers_) {
    if (!Running(entry->detail)) continue;
    const auto& mine = entry->detail.network_settings().networks();
    bool member = std::any_of(
        networks.begin(), networks.end(),
        [&](const std::string& network) { return mine.contains(network); });
    if (!member) continue;
    std::vector<LinkedChild> links =
        LinkedChildren(entry->detail).value_or(std::vector<LinkedChild>());
    // In place: the running container has the file bind-mounted, and a
    // rename would leave it the old one.
    absl::Status written =
        OverwriteFile(entry->detail.hosts_path(), HostsContent(*entry, links));
    if (!written.ok()) {
      LOG(WARNING) << "container " << id.substr(0, 12) << ": " << written;
    }
  }
}

absl::Status ContainerCore::ConnectNetwork(
    const v1::NetworkConnectRequest& request) {
  // Asked before the lock: it is a call to berth-netd.
  BERTH_ASSIGN_OR_RETURN(v1::Network network,
                         network_->Lookup(request.network()));
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry,
                         Find(request.container()));
  v1::ContainerDetail& detail = entry->detail;
  if (!UsesNetd(detail.host_config()) || network.driver() != "bridge") {
    return absl::PermissionDeniedError(
        "container sharing network namespace with another container or host "
        "cannot be connected to any other network");
  }
  auto& networks = *detail.mutable_network_settings()->mutable_networks();
  if (networks.contains(network.name())) {
    return absl::PermissionDeniedError(absl::StrCat(
        "endpoint with name ", absl::StripPrefix(detail.name(), "/"),
        " already exists in network ", network.name()));
  }
  v1::EndpointSettings endpoint;
  endpoint.set_network_id(network.id());
  *endpoint.mutable_aliases() = request.aliases();
  if (Running(detail) && !entry->netns.empty()) {
    // The first free ethN.
    int next = 0;
    for (const auto& [name, other] : networks) {
      int n = 0;
      if (absl::SimpleAtoi(absl::StripPrefix(other.interface_name(), "eth"),
                           &n)) {
        next = std::max(next, n + 1);
      }
    }
    BERTH_ASSIGN_OR_RETURN(
        v1::EndpointSettings attached,
        network_->Attach(detail, entry->netns, network.name(),
                         absl::StrCat("eth", next)));
    *attached.mutable_aliases() = request.aliases();
    endpoint = std::move(attached);
  }
  networks[network.name()] = std::move(endpoint);
  BERTH_RETURN_IF_ERROR(Persist(*entry));
  RefreshHosts({network.name()});
  LOG(INFO) << "container " << detail.id().substr(0, 12) << " connected to "
            << network.name();
  return absl::OkStatus();
}

absl::Status ContainerCore::DisconnectNetwork(
    const v1::NetworkConnectRequest& request) {
  absl::StatusOr<v1::Network> network = network_->Lookup(request.network());
  // --force goes on for a network that is gone already.
  if (!network.ok() && !request.force()) return network.status();
  const std::string name = network.ok() ? network->name() : request.network();
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry,
                         Find(request.container()));
  v1::ContainerDetail& detail = entry->detail;
  auto& networks = *detail.mutable_network_settings()->mutable_networks();
  auto it = networks.find(name);
  if (it == networks.end() || !UsesNetd(detail.host_config())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", detail.id(), " is not connected to network ", name));
  }
  if (Running(detail) && !it->second.ip_address().empty()) {
    absl::Status detached = network_->Detach(detail.id(), name);
    if (!detached.ok() && !request.force()) return detached;
  }
  networks.erase(it);
  BERTH_RETURN_IF_ERROR(Persist(*entry));
  RefreshHosts({name});
  if (Running(detail)) {
    std::vector<LinkedChild> links =
        LinkedChildren(detail).value_or(std::vector<LinkedChild>());
    absl::Status written =
        OverwriteFile(detail.hosts_path(), HostsContent(*entry, links));
    if (!written.ok()) LOG(WARNING) << written;
  }
  LOG(INFO) << "container " << detail.id().substr(0, 12)
            << " disconnected from " << name;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LinkedChild>> ContainerCore::LinkedChildren(
    const v1::ContainerDetail& detail) {
  std::vector<LinkedChild> children;
  for (const std::string& recorded : detail.host_config().links()) {
    BERTH_ASSIGN_OR_RETURN(LinkSpec spec, ParseLink(recorded));
    absl::StatusOr<std::shared_ptr<Entry>> child = Find(spec.child);
    std::string ip;
    if (child.ok() && Running((*child)->detail)) {
      auto it =
          (*child)->detail.network_settings().networks().find(kBridgeNetwork);
      if (it != (*child)->detail.network_settings().networks().end()) {
        ip = it->second.ip_address();
      }
    }
    if (ip.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Cannot link to a non running container: ", spec.child,
                       " AS ", detail.name(), "/", spec.alias));
    }
    children.push_back({spec.alias, &(*child)->detail, ip});
  }
  return children;
}

absl::StatusOr<std::shared_ptr<ContainerCore::Entry>>
ContainerCore::NetworkPeer(const v1::ContainerDetail& detail) {
  std::string name =
      detail.host_config().network_mode().substr(strlen("container:"));
  absl::StatusOr<std::shared_ptr<Entry>> peer = Find(name);
  if (!peer.ok() || !Running((*peer)->detail) ||
      (*peer)->detail.id() == detail.id()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot join network of a non running container: ", name));
  }
  return peer;
}

void ContainerCore::ReleaseRuntime(Entry& entry) {
  const std::string& id = entry.detail.id();
  if (entry.rootfs_held) {
    absl::Status put = driver_->Put(id);
    if (!put.ok()) LOG(WARNING) << "container " << id << ": " << put;
    entry.rootfs_held = false;
  }
  if (UsesNetd(entry.detail.host_config())) {
    absl::Status released = network_->Disconnect(id);
    if (!released.ok()) LOG(WARNING) << "container " << id << ": " << released;
    // As Docker: the networks stay listed, without addresses.
    v1::NetworkSettings& settings = *entry.detail.mutable_network_settings();
    settings.clear_bridge();
    settings.clear_sandbox_key();
    settings.clear_ports();
    for (auto& [network, endpoint] : *settings.mutable_networks()) {
      v1::EndpointSettings kept;
      kept.set_network_id(endpoint.network_id());
      *kept.mutable_aliases() = endpoint.aliases();
      endpoint = std::move(kept);
    }
    RefreshHosts(UserNetworks(entry.detail));
  }
  if (!entry.netns.empty()) {
    absl::Status removed = RemoveNetns(entry.netns);
    if (!removed.ok()) LOG(WARNING) << "container " << id << ": " << removed;
    entry.netns.clear();
  }
  entry.socket.clear();
  entry.rootfs.clear();
  for (const RuntimeObserver& observer : observers_) {
    observer(id, Bundle(id), false);
  }
  std::error_code error;
  std::filesystem::remove_all(Bundle(id), error);
}

absl::StatusOr<v1::StartContainerReply> ContainerCore::Start(
    const std::string& name) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(name));
  v1::StartContainerReply reply;
  if (Running(entry->detail) || entry->starting) {
    reply.set_already_running(true);
    return reply;
  }
  if (shutting_down_) return absl::UnavailableError("the daemon is stopping");
  entry->stopped_by_user = false;
  absl::Status started = StartLocked(entry);
  if (!started.ok() && entry->detail.host_config().auto_remove()) {
    // As dockerd: an auto-remove container that cannot start goes, and the
    // docker CLI waits for that before it reports the error.
    absl::Status removed = RemoveLocked(entry, true);
    if (!removed.ok())
      LOG(WARNING) << "auto-remove " << name << ": " << removed;
  }
  BERTH_RETURN_IF_ERROR(started);
  return reply;
}

absl::Status ContainerCore::StartLocked(std::shared_ptr<Entry> entry) {
  v1::ContainerDetail& detail = entry->detail;
  const std::string id = detail.id();
  const std::string bundle = Bundle(id);
  auto fail = [&](absl::Status status) {
    ReleaseRuntime(*entry);
    v1::ContainerState* state = detail.mutable_state();
    if (state->status() == "restarting") state->set_status("exited");
    state->set_error(std::string(status.message()));
    // As dockerd: a missing or unrunnable command is the exit code the
    // shell would give, and the API says 400.
    if (absl::IsNotFound(status) || absl::IsPermissionDenied(status)) {
      state->set_exit_code(absl::IsNotFound(status) ? 127 : 126);
      status = absl::InvalidArgumentError(absl::StrCat(
          "failed to create task for container: ", status.message()));
    } else {
      state->set_exit_code(128);
    }
    (void)Persist(*entry);
    entry->changed.SignalAll();
    return status;
  };

  std::error_code error;
  std::filesystem::remove_all(bundle, error);
  BERTH_RETURN_IF_ERROR(MakeDirs(bundle, 0700));
  absl::StatusOr<std::string> rootfs = driver_->Get(id);
  if (!rootfs.ok()) return fail(rootfs.status());
  entry->rootfs_held = true;
  entry->rootfs = *rootfs;

  ContainerPaths paths;
  paths.rootfs = *rootfs;
  paths.hostname_file = detail.hostname_path();
  paths.hosts_file = detail.hosts_path();
  paths.resolv_conf_file = detail.resolv_conf_path();
  paths.cgroups_path = CgroupsPath(id);
  paths.init_binary = options_.init_binary;
  const v1::HostConfig& host = detail.host_config();
  std::vector<LinkedChild> links;
  absl::Status status;
  if (OwnsNetns(host)) {
    entry->netns = absl::StrCat(bundle, "/netns");
    status = CreateNetns(entry->netns);
    if (!status.ok()) {
      entry->netns.clear();
      return fail(status);
    }
    paths.netns = entry->netns;
    if (UsesNetd(host)) {
      absl::StatusOr<std::vector<LinkedChild>> children =
          LinkedChildren(detail);
      if (!children.ok()) return fail(children.status());
      links = *std::move(children);
      absl::StatusOr<v1::NetworkSettings> settings =
          network_->Connect(detail, entry->netns, links);
      if (!settings.ok()) return fail(settings.status());
      *detail.mutable_network_settings() = *std::move(settings);
      for (const LinkedChild& link : links) {
        for (std::string& variable : LinkEnv(detail.name(), link)) {
          paths.link_env.push_back(std::move(variable));
        }
      }
    }
  } else if (absl::StartsWith(host.network_mode(), "container:")) {
    absl::StatusOr<std::shared_ptr<Entry>> peer = NetworkPeer(detail);
    if (!peer.ok()) return fail(peer.status());
    // Its namespace (none when it uses the host's) and, as Docker does,
    // its name files.
    paths.netns = (*peer)->netns;
    paths.hostname_file = (*peer)->detail.hostname_path();
    paths.hosts_file = (*peer)->detail.hosts_path();
    paths.resolv_conf_file = (*peer)->detail.resolv_conf_path();
  }
  if (paths.hosts_file == detail.hosts_path()) {
    status = PrepareFiles(*entry, links);
  }
  if (status.ok()) status = CopyUpVolumes(detail, *rootfs);
  if (!status.ok()) return fail(status);
  absl::StatusOr<runtime::Spec> spec = BuildSpec(detail, paths);
  if (!spec.ok()) return fail(spec.status());
  // The bundle lives as long as this run: nothing to make durable.
  status =
      WriteFileAtomic(absl::StrCat(bundle, "/config.json"),
                      runtime::WriteOciConfig(*spec, *rootfs), 0600, false);
  if (!status.ok()) return fail(status);

  shim::ShimConfig shim_config;
  shim_config.id = id;
  shim_config.runtime = options_.exec_driver;
  shim_config.runc_path = options_.runc_binary;
  shim_config.tty = detail.config().tty();
  shim_config.open_stdin = detail.config().open_stdin();
  shim_config.stdin_once = detail.config().stdin_once();
  shim_config.log_path = detail.log_path();
  shim_config.log_max_size = options_.log_max_size;
  shim_config.log_max_files = options_.log_max_files;
  const auto& log_options = detail.host_config().log_config();
  if (auto it = log_options.find("max-size"); it != log_options.end()) {
    absl::StatusOr<int64_t> size = ParseByteSize(it->second);
    if (!size.ok()) return fail(size.status());
    shim_config.log_max_size = *size;
  }
  if (auto it = log_options.find("max-file"); it != log_options.end()) {
    if (!absl::SimpleAtoi(it->second, &shim_config.log_max_files) ||
        shim_config.log_max_files < 1) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("invalid value for max-file: ", it->second)));
    }
  }
  shim_config.attach_wait = entry->pending_attaches;
  status = WriteFileAtomic(absl::StrCat(bundle, "/", shim::kConfigFile),
                           shim::SerializeShimConfig(shim_config), 0600, false);
  if (!status.ok()) return fail(status);

  // The shim may wait for attaches, which need the lock: launch without it.
  entry->starting = true;
  std::string socket = absl::StrCat(bundle, "/", shim::kSocketFile);
  mu_.Unlock();
  absl::StatusOr<pid_t> pid = LaunchShim(options_.shim_binary, bundle, [&] {
    absl::MutexLock listening(&mu_);
    entry->socket = socket;
    ++entry->starts;
    entry->changed.SignalAll();
  });
  mu_.Lock();
  entry->starting = false;
  entry->changed.SignalAll();
  if (!pid.ok()) return fail(pid.status());

  v1::ContainerState* state = detail.mutable_state();
  state->set_status("running");
  state->set_pid(*pid);
  state->set_exit_code(0);
  state->set_error("");
  state->set_oom_killed(false);
  state->set_started_at(Rfc3339(NowNs()));
  entry->changed.SignalAll();
  (void)Persist(*entry);
  RefreshHosts(UserNetworks(detail));
  std::thread(&ContainerCore::Monitor, this, entry, entry->exits).detach();
  LOG(INFO) << "started container " << id.substr(0, 12) << " pid " << *pid;
  return absl::OkStatus();
}

void ContainerCore::Monitor(std::shared_ptr<Entry> entry, int exits) {
  std::string socket;
  std::string bundle;
  {
    absl::MutexLock lock(&mu_);
    socket = entry->socket;
    bundle = Bundle(entry->detail.id());
  }
  absl::StatusOr<ShimExit> exit = WaitForShimExit(socket);
  // The exit file is the record; the socket's answer only says when.
  absl::StatusOr<ExitRecord> record = ReadExitFile(bundle);
  ExitRecord result;
  if (record.ok()) {
    result = *record;
  } else if (exit.ok()) {
    result.exit_code = exit->exit_code;
    result.oom_killed = exit->oom_killed;
    result.finished_ns = NowNs();
  } else {
    LOG(WARNING) << "container " << entry->detail.id().substr(0, 12)
                 << ": its shim went away without recording an exit";
    result.exit_code = 255;
    result.finished_ns = NowNs();
  }
  absl::MutexLock lock(&mu_);
  if (entry->exits == exits && Running(entry->detail) && !entry->removed) {
    OnExit(*entry, result.exit_code, result.oom_killed, result.finished_ns);
  }
}

void ContainerCore::OnExit(Entry& entry, int exit_code, bool oom_killed,
                           int64_t finished_ns) {
  v1::ContainerState* state = entry.detail.mutable_state();
  state->set_status("exited");
  state->set_pid(0);
  state->set_exit_code(exit_code);
  state->set_oom_killed(oom_killed);
  state->set_finished_at(Rfc3339(finished_ns));
  ++entry.exits;
  entry.changed.SignalAll();
  ReleaseRuntime(entry);
  (void)Persist(entry);
  const std::string id = entry.detail.id();
  LOG(INFO) << "container " << id.substr(0, 12) << " exited with " << exit_code;
  if (entry.detail.host_config().auto_remove()) {
    std::shared_ptr<Entry> self = containers_.at(id);
    absl::Status removed = RemoveLocked(self, true);
    if (!removed.ok()) LOG(WARNING) << "auto-remove " << id << ": " << removed;
    return;
  }
  const v1::RestartPolicy& policy = entry.detail.host_config().restart_policy();
  bool restart =
      !entry.stopped_by_user && !shutting_down_ &&
      (policy.name() == "always" || policy.name() == "unless-stopped" ||
       (policy.name() == "on-failure" && exit_code != 0 &&
        (policy.maximum_retry_count() == 0 ||
         state->restart_count() < policy.maximum_retry_count())));
  if (!restart) return;
  // Docker's backoff: 100 ms, doubling, capped at a minute; "restarting"
  // meanwhile.
  int count = state->restart_count();
  state->set_restart_count(count + 1);
  state->set_status("restarting");
  state->set_restarting(true);
  (void)Persist(entry);
  absl::Duration delay = std::min(
      absl::Milliseconds(100) * (1 << std::min(count, 10)), absl::Minutes(1));
  std::shared_ptr<Entry> self = containers_.at(id);
  std::thread([this, self, delay, exits = entry.exits] {
    absl::SleepFor(delay);
    absl::MutexLock lock(&mu_);
    v1::ContainerState* state = self->detail.mutable_state();
    if (state->status() != "restarting") return;
    state->set_restarting(false);
    if (self->stopped_by_user || shutting_down_) {
      state->set_status("exited");
      self->changed.SignalAll();
      (void)Persist(*self);
    } else if (self->exits == exits && !self->removed) {
      absl::Status status = StartLocked(self);
      if (!status.ok()) {
        LOG(WARNING) << "restarting " << self->detail.id() << ": " << status;
      }
    }
  }).detach();
}

absl::Status ContainerCore::Signal(Entry& entry, int signo) {
  if (!Running(entry.detail) || entry.socket.empty()) {
    return absl::AbortedError(
        absl::StrCat("Container ", entry.detail.id(), " is not running"));
  }
  return ShimRequest(entry.socket, absl::StrCat("kill ", signo));
}

bool ContainerCore::WaitUntil(Entry& entry, const std::function<bool()>& done,
                              absl::Time deadline) {
  while (!done()) {
    if (entry.changed.WaitWithDeadline(&mu_, deadline)) return done();
  }
  return true;
}

bool ContainerCore::AwaitStopped(const std::shared_ptr<Entry>& entry,
                                 int timeout_s) {
  return WaitUntil(
      *entry, [&] { return !Running(entry->detail); },
      timeout_s < 0 ? absl::InfiniteFuture()
                    : absl::Now() + absl::Seconds(timeout_s));
}

absl::Status ContainerCore::Kill(const v1::KillContainerRequest& request) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(request.id()));
  BERTH_ASSIGN_OR_RETURN(
      int signo,
      ParseSignal(request.signal().empty() ? "KILL" : request.signal()));
  BERTH_RETURN_IF_ERROR(Signal(*entry, signo));
  if (signo == SIGKILL) entry->stopped_by_user = true;
  return absl::OkStatus();
}

absl::StatusOr<v1::StopContainerReply> ContainerCore::Stop(
    const v1::StopContainerRequest& request) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(request.id()));
  v1::StopContainerReply reply;
  entry->stopped_by_user = true;
  if (!Running(entry->detail)) {
    reply.set_not_running(true);
    return reply;
  }
  std::string signal_name = request.signal();
  if (signal_name.empty()) signal_name = entry->detail.config().stop_signal();
  if (signal_name.empty()) signal_name = "TERM";
  BERTH_ASSIGN_OR_RETURN(int signo, ParseSignal(signal_name));
  int timeout = request.timeout();
  if (timeout < 0) {
    timeout = entry->detail.config().stop_timeout() >= 0
                  ? entry->detail.config().stop_timeout()
                  : kDefaultStopTimeout;
  }
  if (entry->detail.state().status() == "paused") {
    (void)ShimRequest(entry->socket, "resume");
  }
  absl::Status signalled = Signal(*entry, signo);
  if (!signalled.ok() || !AwaitStopped(entry, timeout)) {
    if (Running(entry->detail)) {
      BERTH_RETURN_IF_ERROR(Signal(*entry, SIGKILL));
      AwaitStopped(entry, -1);
    }
  }
  return reply;
}

absl::Status ContainerCore::Restart(const v1::StopContainerRequest& request) {
  BERTH_RETURN_IF_ERROR(Stop(request).status());
  return Start(request.id()).status();
}

absl::StatusOr<v1::WaitContainerReply> ContainerCore::Wait(
    const v1::WaitContainerRequest& request,
    const std::function<void()>& registered,
    const std::function<bool()>& cancelled) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(request.id()));
  const std::string& condition = request.condition();
  if (!condition.empty() && condition != "not-running" &&
      condition != "next-exit" && condition != "removed") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid condition: \"", condition, "\""));
  }
  int exits = entry->exits;
  auto done = [&] {
    if (condition == "removed") return entry->removed;
    if (condition == "next-exit") return entry->exits != exits;
    return !Running(entry->detail) && !entry->starting;
  };
  // The entry (its exits and removal) outlives its place in the store.
  mu_.Unlock();
  registered();
  mu_.Lock();
  while (!WaitUntil(*entry, done, absl::Now() + absl::Milliseconds(250))) {
    if (cancelled()) return absl::CancelledError("the client went away");
  }
  v1::WaitContainerReply reply;
  reply.set_status_code(entry->detail.state().exit_code());
  return reply;
}

absl::Status ContainerCore::RemoveLocked(std::shared_ptr<Entry> entry,
                                         bool remove_anonymous_volumes) {
  if (entry->fs_leases > 0) return FsInUseError(entry->detail.name());
  const std::string id = entry->detail.id();
  entry->detail.mutable_state()->set_status("removing");
  ReleaseRuntime(*entry);
  absl::Status status = driver_->Remove(id);
  if (status.ok()) status = driver_->Remove(InitLayerId(id));
  if (!status.ok()) {
    entry->detail.mutable_state()->set_status("dead");
    (void)Persist(*entry);
    return status;
  }
  std::error_code error;
  std::filesystem::remove_all(absl::StrCat(options_.root, "/", id), error);
  ReleaseVolumes(entry->detail, remove_anonymous_volumes);
  names_.erase(entry->detail.name());
  containers_.erase(id);
  entry->removed = true;
  entry->changed.SignalAll();
  for (const RuntimeObserver& observer : observers_) {
    observer(id, Bundle(id), true);
  }
  LOG(INFO) << "removed container " << id.substr(0, 12);
  return absl::OkStatus();
}

absl::Status ContainerCore::Remove(const v1::RemoveContainerRequest& request) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(request.id()));
  // Before a forced removal kills it.
  if (entry->fs_leases > 0) return FsInUseError(entry->detail.name());
  if (Running(entry->detail) || entry->starting) {
    if (!request.force()) {
      return absl::AbortedError(absl::StrCat(
          "cannot remove container \"", entry->detail.name(),
          "\": container is running: stop the container before removing or "
          "force remove"));
    }
    entry->stopped_by_user = true;
    if (entry->detail.state().status() == "paused") {
      (void)ShimRequest(entry->socket, "resume");
    }
    (void)Signal(*entry, SIGKILL);
    AwaitStopped(entry, -1);
    // Auto-remove may have taken it already.
    if (entry->removed) return absl::OkStatus();
  }
  return RemoveLocked(entry, request.remove_volumes());
}

absl::StatusOr<v1::ListContainersReply> ContainerCore::List(
    const v1::ListContainersRequest& request) {
  absl::StatusOr<v1::ListContainersReply> reply = ListUnsized(request);
  if (!reply.ok() || !request.size()) return reply;
  // Outside the lock: the image store calls into the containers.
  absl::flat_hash_map<std::string, int64_t> image_sizes;
  for (v1::ContainerSummary& summary : *reply->mutable_containers()) {
    auto [it, added] = image_sizes.try_emplace(summary.image_id(), 0);
    if (added) {
      absl::StatusOr<v1::ImageDetail> image =
          images_->Inspect(summary.image_id());
      if (image.ok()) it->second = image->summary().size();
    }
    summary.set_size_rw(SizeRw(summary.id()));
    summary.set_size_root_fs(summary.size_rw() + it->second);
  }
  return reply;
}

absl::StatusOr<v1::ListContainersReply> ContainerCore::ListUnsized(
    const v1::ListContainersRequest& request) {
  absl::MutexLock lock(&mu_);
  std::vector<const Entry*> listed;
  listed.reserve(containers_.size());
  bool all = request.all() || request.limit() > 0;
  for (const auto& [id, entry] : containers_) {
    if (!all && !Running(entry->detail)) continue;
    if (!MatchesFilters(entry->detail, request.filters())) continue;
    listed.push_back(entry.get());
  }
  std::sort(listed.begin(), listed.end(), [](const Entry* a, const Entry* b) {
    return a->created_ns > b->created_ns;
  });
  if (request.limit() > 0 && listed.size() > size_t(request.limit())) {
    listed.resize(request.limit());
  }
  v1::ListContainersReply reply;
  reply.mutable_containers()->Reserve(listed.size());
  for (const Entry* entry : listed) {
    const v1::ContainerDetail& detail = entry->detail;
    v1::ContainerSummary* summary = reply.add_containers();
    summary->set_id(detail.id());
    summary->add_names(detail.name());
    summary->set_image(detail.config().image());
    summary->set_image_id(detail.image_id());
    std::string command = detail.path();
    for (const std::string& arg : detail.args())
      absl::StrAppend(&command, " ", arg);
    summary->set_command(std::move(command));
    summary->set_created(entry->created_ns / 1000000000);
    summary->set_state(detail.state().status());
    summary->set_status(StatusText(detail.state()));
    *summary->mutable_labels() = detail.config().labels();
    summary->set_network_mode(detail.host_config().network_mode());
    const v1::NetworkSettings& network = detail.network_settings();
    *summary->mutable_ports() = network.ports();
    if (!network.sandbox_key().empty()) {
      for (const std::string& exposed : detail.config().exposed_ports()) {
        bool published = false;
        for (const v1::PublishedPort& port : network.ports()) {
          published |= port.container_port() == exposed;
        }
        if (!published) summary->add_ports()->set_container_port(exposed);
      }
    }
    *summary->mutable_networks() = network.networks();
    *summary->mutable_mounts() = detail.mounts();
  }
  return reply;
}

absl::StatusOr<v1::ContainerDetail> ContainerCore::Inspect(
    const std::string& name) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(name));
  v1::ContainerDetail detail = entry->detail;
  (*detail.mutable_graph_driver_data())["MergedDir"] =
      driver_->DiffDir(detail.id());
  return detail;
}

absl::Status ContainerCore::Logs(
    const v1::LogsRequest& request,
    const std::function<bool(const v1::LogsReply&)>& send,
    const std::function<bool()>& cancelled) {
  std::shared_ptr<Entry> entry;
  LogSource source;
  v1::LogsReply first;
  {
    absl::MutexLock lock(&mu_);
    BERTH_ASSIGN_OR_RETURN(entry, Find(request.id()));
    first.set_tty(entry->detail.config().tty());
    source.path = entry->detail.log_path();
    source.max_files = options_.log_max_files;
    const auto& log_options = entry->detail.host_config().log_config();
    if (auto it = log_options.find("max-file"); it != log_options.end()) {
      (void)absl::SimpleAtoi(it->second, &source.max_files);
    }
  }
  if (!send(first)) return absl::OkStatus();
  source.running = [&] {
    absl::MutexLock lock(&mu_);
    return Running(entry->detail) || entry->starting;
  };
  source.cancelled = cancelled;
  // Batches keep the message count down for a long log.
  v1::LogsReply batch;
  size_t bytes = 0;
  auto flush = [&] {
    bool ok = batch.entries().empty() || send(batch);
    batch.clear_entries();
    bytes = 0;
    return ok;
  };
  absl::Status status = ReadLogs(source, request, [&](const v1::LogEntry& e) {
    *batch.add_entries() = e;
    bytes += e.data().size();
    // While following, each entry goes out at once.
    if (request.follow() || bytes > 256 * 1024) return flush();
    return true;
  });
  flush();
  return status;
}

absl::Status ContainerCore::Attach(
    const v1::AttachRequest& request,
    const std::function<bool(const v1::AttachEvent&)>& send,
    const std::function<bool()>& cancelled) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(request.id()));
  // A stopped container is attached for its next start (`docker start
  // -a`); the docker CLI itself refuses `docker attach` to one.
  // Counted before the client hears anything: it sends start as soon as
  // it has its answer, and that start must know to wait for this attach.
  bool waiting = entry->socket.empty();
  int starts = entry->starts;
  if (waiting) ++entry->pending_attaches;
  v1::AttachEvent settings;
  settings.set_tty(entry->detail.config().tty());
  settings.set_stdin_once(entry->detail.config().stdin_once());
  bool gone = !send(settings);
  if (waiting) {
    auto ready = [&] { return entry->starts != starts || entry->removed; };
    while (!gone &&
           !WaitUntil(*entry, ready, absl::Now() + absl::Milliseconds(250))) {
      gone = cancelled();
    }
    --entry->pending_attaches;
  }
  if (gone) return absl::CancelledError("the client went away");
  if (entry->socket.empty()) {
    return absl::NotFoundError(
        absl::StrCat("No such container: ", request.id()));
  }
  v1::AttachEvent target;
  target.set_socket(entry->socket);
  send(target);
  return absl::OkStatus();
}

absl::Status ContainerCore::Resize(const v1::ResizeRequest& request) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(request.id()));
  if (!Running(entry->detail)) {
    return absl::AbortedError(
        absl::StrCat("Container ", entry->detail.id(), " is not running"));
  }
  if (!entry->detail.config().tty()) return absl::OkStatus();
  return ShimRequest(entry->socket, absl::StrCat("resize ", request.height(),
                                                 " ", request.width()));
}

absl::Status ContainerCore::Pause(const std::string& name) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(name));
  const std::string& id = entry->detail.id();
  if (entry->detail.state().status() == "paused") {
    return absl::AbortedError(
        absl::StrCat("Container ", id, " is already paused"));
  }
  if (entry->detail.state().status() != "running" || entry->socket.empty()) {
    return absl::AbortedError(
        absl::StrCat("Container ", id, " is not running"));
  }
  BERTH_RETURN_IF_ERROR(ShimRequest(entry->socket, "pause"));
  entry->detail.mutable_state()->set_status("paused");
  (void)Persist(*entry);
  return absl::OkStatus();
}

absl::Status ContainerCore::Unpause(const std::string& name) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(name));
  if (entry->detail.state().status() != "paused") {
    return absl::AbortedError(
        absl::StrCat("Container ", entry->detail.id(), " is not paused"));
  }
  BERTH_RETURN_IF_ERROR(ShimRequest(entry->socket, "resume"));
  entry->detail.mutable_state()->set_status("running");
  (void)Persist(*entry);
  return absl::OkStatus();
}

absl::Status ContainerCore::Rename(const v1::RenameRequest& request) {
  if (request.id().empty() || request.name().empty()) {
    return absl::InvalidArgumentError("Neither old nor new names may be empty");
  }
  BERTH_RETURN_IF_ERROR(ValidateContainerName(request.name()));
  std::string name = absl::StartsWith(request.name(), "/")
                         ? request.name()
                         : "/" + request.name();
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(request.id()));
  std::string old_name = entry->detail.name();
  if (name == old_name) {
    return absl::InvalidArgumentError(
        "Renaming a container with the same name as its current name");
  }
  BERTH_RETURN_IF_ERROR(NameFree(name));
  entry->detail.set_name(name);
  absl::Status persisted = Persist(*entry);
  if (!persisted.ok()) {
    entry->detail.set_name(old_name);
    return persisted;
  }
  names_.erase(old_name);
  names_[name] = entry->detail.id();
  LOG(INFO) << "renamed container " << entry->detail.id().substr(0, 12) << " "
            << old_name << " -> " << name;
  return absl::OkStatus();
}

absl::StatusOr<v1::PruneContainersReply> ContainerCore::Prune(
    const v1::PruneContainersRequest& request) {
  int64_t until_ns = std::numeric_limits<int64_t>::max();
  for (const auto& [key, values] : request.filters()) {
    if (key != "until" && key != "label" && key != "label!") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter '", key, "'"));
    }
    if (key != "until") continue;
    for (const std::string& value : values.values()) {
      absl::StatusOr<int64_t> ns = ParseUntil(value, NowNs());
      if (!ns.ok()) return ns.status();
      until_ns = std::min(until_ns, *ns);
    }
  }
  auto labelled = [&](const v1::ContainerDetail& detail,
                      const std::string& selector) {
    size_t eq = selector.find('=');
    auto it = detail.config().labels().find(selector.substr(0, eq));
    if (it == detail.config().labels().end()) return false;
    return eq == std::string::npos || it->second == selector.substr(eq + 1);
  };
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Entry>> doomed;
  for (const auto& [id, entry] : containers_) {
    const v1::ContainerDetail& detail = entry->detail;
    if (Running(detail) || entry->starting ||
        detail.state().status() == "restarting" ||
        entry->created_ns >= until_ns) {
      continue;
    }
    bool selected = true;
    if (auto it = request.filters().find("label");
        it != request.filters().end()) {
      for (const std::string& v : it->second.values()) {
        selected = selected && labelled(detail, v);
      }
    }
    if (auto it = request.filters().find("label!");
        it != request.filters().end()) {
      for (const std::string& v : it->second.values()) {
        selected = selected && !labelled(detail, v);
      }
    }
    if (selected) doomed.push_back(entry);
  }
  v1::PruneContainersReply reply;
  for (const std::shared_ptr<Entry>& entry : doomed) {
    std::string id = entry->detail.id();
    int64_t size = SizeRw(id);
    absl::Status removed = RemoveLocked(entry, false);
    if (!removed.ok()) {
      LOG(WARNING) << "prune " << id << ": " << removed;
      continue;
    }
    reply.add_deleted(id);
    reply.set_space_reclaimed(reply.space_reclaimed() + size);
  }
  return reply;
}

int64_t ContainerCore::SizeRw(const std::string& id) const {
  // A vfs layer is a full copy: only overlay's diff dir is the container's
  // own writes.
  return driver_->Format() == LayerFormat::kOverlayUpper
             ? TreeSize(driver_->DiffDir(id))
             : 0;
}

v1::ContainerCounts ContainerCore::Counts() {
  absl::MutexLock lock(&mu_);
  v1::ContainerCounts counts;
  for (const auto& [id, entry] : containers_) {
    counts.set_total(counts.total() + 1);
    const std::string& status = entry->detail.state().status();
    if (status == "paused") {
      counts.set_paused(counts.paused() + 1);
    } else if (status == "running" || status == "restarting") {
      counts.set_running(counts.running() + 1);
    } else {
      counts.set_stopped(counts.stopped() + 1);
    }
  }
  return counts;
}

absl::StatusOr<RunningContainer> ContainerCore::GetRunning(
    const std::string& name, bool allow_paused) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(name));
  const std::string& id = entry->detail.id();
  const std::string& status = entry->detail.state().status();
  if (status == "paused" && !allow_paused) {
    return absl::AbortedError(absl::StrCat(
        "Container ", id, " is paused, unpause the container before exec"));
  }
  if (!Running(entry->detail) || entry->socket.empty()) {
    return absl::AbortedError(
        absl::StrCat("Container ", id, " is not running"));
  }
  RunningContainer running;
  running.id = id;
  running.name = entry->detail.name();
  running.bundle = Bundle(id);
  running.socket = entry->socket;
  running.rootfs = entry->rootfs;
  running.cgroups_path = CgroupsPath(id);
  running.detail = entry->detail;
  return running;
}

absl::StatusOr<ContainerFsLease> ContainerCore::AcquireFs(
    const std::string& name, absl::string_view operation) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(name));
  const std::string& id = entry->detail.id();
  const std::string& status = entry->detail.state().status();
  if (status == "removing" || status == "dead") {
    return absl::AbortedError(
        absl::StrCat("You cannot ", operation, " container ", id, " which is ",
                     status == "dead" ? "Dead" : "being removed"));
  }
  // A reference of our own, whether or not a run holds one.
  BERTH_ASSIGN_OR_RETURN(std::string rootfs, driver_->Get(id));
  ++entry->fs_leases;
  ContainerFsLease lease;
  lease.id = id;
  lease.layer = id;
  lease.init_layer = InitLayerId(id);
  lease.rootfs = std::move(rootfs);
  lease.detail = entry->detail;
  return lease;
}

void ContainerCore::ReleaseFs(const ContainerFsLease& lease) {
  absl::MutexLock lock(&mu_);
  absl::Status put = driver_->Put(lease.layer);
  if (!put.ok()) LOG(WARNING) << "container " << lease.id << ": " << put;
  auto it = containers_.find(lease.id);
  if (it == containers_.end()) return;
  std::shared_ptr<Entry> entry = it->second;
  if (--entry->fs_leases > 0) return;
  // An auto-remove container that exited meanwhile was kept for us.
  if (entry->detail.host_config().auto_remove() && !entry->removed &&
      !entry->starting && entry->detail.state().status() == "exited") {
    absl::Status removed = RemoveLocked(entry, true);
    if (!removed.ok()) {
      LOG(WARNING) << "auto-remove " << lease.id << ": " << removed;
    }
  }
}

void ContainerCore::AddRuntimeObserver(RuntimeObserver observer) {
  absl::MutexLock lock(&mu_);
  observers_.push_back(std::move(observer));
}

std::string ContainerCore::ImageUser(const Digest& image) {
  absl::MutexLock lock(&mu_);
  std::string id = image.ToString();
  for (const auto& [container_id, entry] : containers_) {
    if (entry->detail.image_id() == id) return container_id.substr(0, 12);
  }
  return "";
}

void ContainerCore::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  // Nothing of ours stays in the run dir unless a container runs on
  // (its bundle keeps the directory non-empty).
  rmdir(options_.run_root.c_str());
}

}  // namespace berth
