#include "services/netd/network_manager.h"

#include <sys/random.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/netd/ipam/subnet_picker.h"

namespace berth::netd {
namespace {

constexpr char kBuiltinsFile[] = "builtin-networks.json";
constexpr char kRecordFile[] = "network.json";
constexpr char kBridgeNameOption[] = "com.docker.network.bridge.name";

std::string RandomId() {
  unsigned char bytes[32];
  if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) {
    PLOG(FATAL) << "getrandom";
  }
  std::string id;
  for (unsigned char byte : bytes)
    absl::StrAppend(&id, absl::Hex(byte, absl::kZeroPad2));
  return id;
}

// RFC 3339 with nanoseconds and "Z", as Docker shows times.
std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::Now(),
                          absl::UTCTimeZone());
}

bool IsBuiltinName(const std::string& name) {
  return name == "bridge" || name == "host" || name == "none" ||
         name == "default";
}

bool AnyValue(const v1::FilterValues& values,
              const std::function<bool(const std::string&)>& match) {
  if (values.values().empty()) return true;
  return std::any_of(values.values().begin(), values.values().end(), match);
}

bool LabelMatches(const google::protobuf::Map<std::string, std::string>& labels,
                  const std::string& filter) {
  size_t eq = filter.find('=');
  auto it = labels.find(filter.substr(0, eq));
  if (it == labels.end()) return false;
  return eq == std::string::npos || it->second == filter.substr(eq + 1);
}

}  // namespace

NetworkManager::NetworkManager(NetworkOptions default_options,
                               NetworkManagerDeps deps)
    : default_options_(std::move(default_options)), deps_(std::move(deps)) {}

NetworkManager::~NetworkManager() = default;

std::string NetworkManager::UserDir(const std::string& id) const {
  return absl::StrCat(default_options_.state_dir, "/networks/", id);
}

absl::Status NetworkManager::LoadBuiltins() {
  std::string path =
      absl::StrCat(default_options_.state_dir, "/", kBuiltinsFile);
  v1::ListNetworksReply builtins;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (text.ok() &&
      !google::protobuf::util::JsonStringToMessage(*text, &builtins).ok()) {
    return absl::DataLossError(absl::StrCat(path, " is not valid JSON"));
  }
  if (builtins.networks_size() != 3) {
    builtins.Clear();
    std::string created = Now();
    for (auto [name, driver] :
         {std::pair{"bridge", "bridge"}, {"host", "host"}, {"none", "null"}}) {
      v1::Network* net = builtins.add_networks();
      net->set_id(RandomId());
      net->set_name(name);
      net->set_driver(driver);
      net->set_created(created);
      net->set_builtin(true);
    }
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(builtins, &json);
    BERTH_RETURN_IF_ERROR(MakeDirs(default_options_.state_dir, 0700));
    BERTH_RETURN_IF_ERROR(WriteFileAtomic(path, json, 0600));
  }
  for (const v1::Network& info : builtins.networks()) {
    auto net = std::make_shared<Net>();
    net->info = info;
    if (info.name() == "bridge") {
      NetworkDeps deps;
      deps.netlink = deps_.netlink;
      deps.firewall = deps_.firewall;
      deps.proxy = deps_.proxy;
      deps.sysctl = deps_.sysctl;
      deps.reaper = deps_.reaper;
      deps.ports = deps_.ports;
      NetworkOptions options = default_options_;
      // User networks' bridges are br-...: none of their traffic.
      options.isolated_from = {"br+"};
      net->core = std::make_unique<NetworkCore>(options, deps);
      default_ = net;
    }
    networks_[info.id()] = std::move(net);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<NetworkManager::Net>>
NetworkManager::MakeUserNetwork(v1::Network info) {
  auto net = std::make_shared<Net>();
  NetworkOptions options;
  options.bridge = info.bridge();
  options.own_bridge = true;
  BERTH_ASSIGN_OR_RETURN(Ipv4Prefix subnet, Ipv4Prefix::Parse(info.subnet()));
  BERTH_ASSIGN_OR_RETURN(Ipv4 gateway, Ipv4::Parse(info.gateway()));
  options.bip = Ipv4Prefix(gateway, subnet.length()).ToString();
  options.fixed_cidr = info.ip_range();
  options.mtu = default_options_.mtu;
  options.ip_forward = default_options_.ip_forward;
  options.ip_masq = !info.internal();
  options.iptables = default_options_.iptables;
  options.default_ip = default_options_.default_ip;
  options.state_dir = UserDir(info.id());
  options.network_id = info.id();
  options.internal = info.internal();
  options.isolated_from = {"br+"};
  if (default_ != nullptr && !default_->info.bridge().empty()) {
    options.isolated_from.push_back(default_->info.bridge());
  }
  net->firewall = deps_.make_firewall(info.id().substr(0, 8));
  NetworkDeps deps;
  deps.netlink = deps_.netlink;
  deps.firewall = net->firewall.get();
  deps.proxy = deps_.proxy;
  deps.sysctl = deps_.sysctl;
  deps.reaper = deps_.reaper;
  deps.ports = deps_.ports;
  net->core = std::make_unique<NetworkCore>(options, deps);
  net->info = std::move(info);
  absl::StatusOr<v1::InitDriverReply> init = net->core->InitDriver();
  if (!init.ok()) {
    // What it made so far goes; its record stays for the next start.
    (void)net->core->Teardown();
    return absl::Status(init.status().code(),
                        absl::StrCat("network ", net->info.name(), ": ",
                                     init.status().message()));
  }
  return net;
}

absl::Status NetworkManager::LoadUserNetworks() {
  std::string dir = absl::StrCat(default_options_.state_dir, "/networks");
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return absl::OkStatus();
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::string record = entry.path().string() + "/" + kRecordFile;
    absl::StatusOr<std::string> text = ReadFile(record);
    v1::Network info;
    if (!text.ok() ||
        !google::protobuf::util::JsonStringToMessage(*text, &info).ok()) {
      // A create that crashed before its record was written.
      LOG(WARNING) << "netd: removing " << entry.path().string()
                   << ", which has no network record";
      std::filesystem::remove_all(entry.path(), error);
      continue;
    }
    absl::StatusOr<std::shared_ptr<Net>> net = MakeUserNetwork(info);
    if (!net.ok()) {
      LOG(WARNING) << "netd: " << net.status();
      continue;
    }
    networks_[info.id()] = *std::move(net);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::InitDriverReply> NetworkManager::InitDriver() {
  absl::MutexLock lock(&mu_);
  if (default_ == nullptr) BERTH_RETURN_IF_ERROR(LoadBuiltins());
  BERTH_ASSIGN_OR_RETURN(v1::InitDriverReply reply,
                         default_->core->InitDriver());
  if (!reply.disabled()) {
    BERTH_ASSIGN_OR_RETURN(Ipv4Prefix address,
                           Ipv4Prefix::Parse(reply.bridge_address()));
    default_->info.set_bridge(reply.bridge());
    default_->info.set_subnet(address.Network().ToString());
    default_->info.set_gateway(address.address().ToString());
  }
  if (!loaded_) {
    BERTH_RETURN_IF_ERROR(LoadUserNetworks());
    loaded_ = true;
  }
  return reply;
}

absl::StatusOr<std::shared_ptr<NetworkManager::Net>> NetworkManager::FindLocked(
    const std::string& ref) {
  if (default_ == nullptr) {
    return absl::FailedPreconditionError(
        "the network driver is not initialized: run init_networkdriver first");
  }
  if (ref.empty() || ref == "default") return default_;
  std::shared_ptr<Net> by_prefix;
  int matches = 0;
  for (const auto& [id, net] : networks_) {
    if (id == ref || net->info.name() == ref) return net;
    if (absl::StartsWith(id, ref)) {
      by_prefix = net;
      ++matches;
    }
  }
  if (matches == 1) return by_prefix;
  if (matches > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "network ", ref, " is ambiguous (", matches, " matches found on ID)"));
  }
  return absl::NotFoundError(absl::StrCat("network ", ref, " not found"));
}

absl::StatusOr<std::shared_ptr<NetworkManager::Net>> NetworkManager::Find(
    const std::string& ref) {
  absl::MutexLock lock(&mu_);
  return FindLocked(ref);
}

v1::Network NetworkManager::Describe(const Net& net) {
  v1::Network out = net.info;
  if (net.core != nullptr) {
    for (v1::NetworkEndpoint& endpoint : net.core->Endpoints()) {
      *out.add_endpoints() = std::move(endpoint);
    }
  }
  return out;
}

absl::StatusOr<v1::Network> NetworkManager::Create(
    const v1::NetworkConfig& config) {
  const std::string& name = config.name();
  if (name.empty())
    return absl::InvalidArgumentError("network name is required");
  if (!config.driver().empty() && config.driver() != "bridge") {
    return absl::NotFoundError(
        absl::StrCat("plugin \"", config.driver(), "\" not found"));
  }
  if (IsBuiltinName(name)) {
    return absl::PermissionDeniedError(
        absl::StrCat(name, " is a pre-defined network and cannot be created"));
  }
  std::optional<Ipv4Prefix> subnet;
  if (!config.subnet().empty()) {
    absl::StatusOr<Ipv4Prefix> parsed = Ipv4Prefix::Parse(config.subnet());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid subnet ", config.subnet(), ": ", parsed.status().message()));
    }
    subnet = parsed->Network();
  }
  absl::MutexLock lock(&mu_);
  if (default_ == nullptr) {
    return absl::FailedPreconditionError(
        "the network driver is not initialized: run init_networkdriver first");
  }
  std::vector<Ipv4Prefix> taken;
  for (const auto& [id, net] : networks_) {
    if (net->info.name() == name) {
      return absl::AlreadyExistsError(
          absl::StrCat("network with name ", name, " already exists"));
    }
    absl::StatusOr<Ipv4Prefix> used = Ipv4Prefix::Parse(net->info.subnet());
    if (used.ok()) taken.push_back(*used);
  }
  if (subnet.has_value()) {
    for (const Ipv4Prefix& used : taken) {
      if (used.Overlaps(*subnet)) {
        return absl::PermissionDeniedError(absl::StrCat(
            "invalid pool request: Pool overlaps with other one on this "
            "address space (",
            subnet->ToString(), " overlaps ", used.ToString(), ")"));
      }
    }
  } else {
    BERTH_ASSIGN_OR_RETURN(std::vector<Ipv4Prefix> routes,
                           deps_.netlink->ListRoutes());
    BERTH_ASSIGN_OR_RETURN(std::vector<Ipv4Prefix> addresses,
                           deps_.netlink->ListAddresses(""));
    taken.insert(taken.end(), routes.begin(), routes.end());
    taken.insert(taken.end(), addresses.begin(), addresses.end());
    absl::StatusOr<Ipv4Prefix> picked =
        PickBridgeAddress(DefaultBridgeCandidates(), taken);
    if (!picked.ok()) {
      return absl::PermissionDeniedError(
          "could not find an available, non-overlapping IPv4 address pool "
          "among the defaults to assign to the network");
    }
    subnet = picked->Network();
  }
  Ipv4 gateway(subnet->First().value() + 1);
  if (!config.gateway().empty()) {
    absl::StatusOr<Ipv4> parsed = Ipv4::Parse(config.gateway());
    if (!parsed.ok() || !subnet->Contains(*parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid gateway ", config.gateway(),
                       ": it must be an address in ", subnet->ToString()));
    }
    gateway = *parsed;
  }
  if (!config.ip_range().empty()) {
    absl::StatusOr<Ipv4Prefix> range = Ipv4Prefix::Parse(config.ip_range());
    if (!range.ok() || !subnet->Contains(range->Network())) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ip-range ", config.ip_range(),
                       ": it must be within ", subnet->ToString()));
    }
  }
  v1::Network info;
  info.set_id(RandomId());
  info.set_name(name);
  info.set_driver("bridge");
  info.set_created(Now());
  info.set_internal(config.internal());
  info.set_attachable(config.attachable());
  info.set_subnet(subnet->ToString());
  info.set_gateway(gateway.ToString());
  info.set_ip_range(config.ip_range());
  *info.mutable_labels() = config.labels();
  *info.mutable_options() = config.options();
  auto bridge = config.options().find(kBridgeNameOption);
  info.set_bridge(bridge != config.options().end()
                      ? bridge->second
                      : absl::StrCat("br-", info.id().substr(0, 12)));
  std::string dir = UserDir(info.id());
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(info, &json);
  absl::Status written = MakeDirs(dir, 0700);
  if (written.ok()) {
    written = WriteFileAtomic(absl::StrCat(dir, "/", kRecordFile), json, 0600);
  }
  absl::StatusOr<std::shared_ptr<Net>> net =
      written.ok() ? MakeUserNetwork(info) : written;
  if (!net.ok()) {
    std::error_code error;
    std::filesystem::remove_all(dir, error);
    return net.status();
  }
  networks_[info.id()] = *net;
  LOG(INFO) << "netd: created network " << name << " (" << info.subnet()
            << " on " << info.bridge() << ")";
  return Describe(**net);
}

absl::StatusOr<v1::Network> NetworkManager::Inspect(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Net> net, Find(ref));
  return Describe(*net);
}

absl::StatusOr<v1::ListNetworksReply> NetworkManager::List(
    const v1::ListNetworksRequest& request) {
  std::vector<std::shared_ptr<Net>> all;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, net] : networks_) all.push_back(net);
  }
  v1::ListNetworksReply reply;
  for (const std::shared_ptr<Net>& net : all) {
    v1::Network described = Describe(*net);
    bool keep = true;
    for (const auto& [key, values] : request.filters()) {
      if (key == "name") {
        keep &= AnyValue(values, [&](const std::string& v) {
          return absl::StrContains(described.name(), v);
        });
      } else if (key == "id") {
        keep &= AnyValue(values, [&](const std::string& v) {
          return absl::StartsWith(described.id(), v);
        });
      } else if (key == "label") {
        keep &= AnyValue(values, [&](const std::string& v) {
          return LabelMatches(described.labels(), v);
        });
      } else if (key == "driver") {
        keep &= AnyValue(values, [&](const std::string& v) {
          return described.driver() == v;
        });
      } else if (key == "type") {
        keep &= AnyValue(values, [&](const std::string& v) {
          return (v == "builtin") == described.builtin();
        });
      } else if (key == "dangling") {
        keep &= AnyValue(values, [&](const std::string& v) {
          bool dangling = !described.builtin() && described.endpoints().empty();
          return (v == "true" || v == "1") == dangling;
        });
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid filter '", key, "'"));
      }
    }
    if (keep) *reply.add_networks() = std::move(described);
  }
  std::sort(reply.mutable_networks()->begin(), reply.mutable_networks()->end(),
            [](const v1::Network& a, const v1::Network& b) {
              return a.name() < b.name();
            });
  return reply;
}

absl::Status NetworkManager::Remove(const std::string& ref) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Net> net, FindLocked(ref));
  if (net->info.builtin()) {
    return absl::PermissionDeniedError(absl::StrCat(
        net->info.name(), " is a pre-defined network and cannot be removed"));
  }
  absl::Status torn = net->core->Teardown();
  if (absl::IsFailedPrecondition(torn)) {
    return absl::PermissionDeniedError(
        absl::StrCat("error while removing network: network ", net->info.name(),
                     " id ", net->info.id(), " has active endpoints"));
  }
  BERTH_RETURN_IF_ERROR(torn);
  networks_.erase(net->info.id());
  LOG(INFO) << "netd: removed network " << net->info.name();
  return absl::OkStatus();
}

absl::StatusOr<v1::PruneNetworksReply> NetworkManager::Prune(
    const v1::PruneNetworksRequest& request) {
  v1::ListNetworksRequest list;
  (*list.mutable_filters())["type"].add_values("custom");
  (*list.mutable_filters())["dangling"].add_values("true");
  std::optional<absl::Time> until;
  for (const auto& [key, values] : request.filters()) {
    if (key == "label") {
      (*list.mutable_filters())["label"] = values;
    } else if (key == "until") {
      for (const std::string& value : values.values()) {
        absl::Duration ago;
        absl::Time time;
        std::string error;
        if (absl::ParseDuration(value, &ago)) {
          until = absl::Now() - ago;
        } else if (absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
          until = time;
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat("invalid until filter '", value, "'"));
        }
      }
    } else if (key != "label!") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter '", key, "'"));
    }
  }
  BERTH_ASSIGN_OR_RETURN(v1::ListNetworksReply candidates, List(list));
  v1::PruneNetworksReply reply;
  for (const v1::Network& net : candidates.networks()) {
    absl::Time created;
    std::string error;
    if (until.has_value() &&
        absl::ParseTime(absl::RFC3339_full, net.created(), &created, &error) &&
        created >= *until) {
      continue;
    }
    if (auto it = request.filters().find("label!");
        it != request.filters().end() &&
        std::any_of(it->second.values().begin(), it->second.values().end(),
                    [&](const std::string& v) {
                      return LabelMatches(net.labels(), v);
                    })) {
      continue;
    }
    absl::Status removed = Remove(net.id());
    // In use again since the listing: kept, as Docker does.
    if (removed.ok()) reply.add_deleted(net.name());
  }
  return reply;
}

absl::StatusOr<v1::NetworkInterface> NetworkManager::AllocateInterface(
    const v1::AllocateInterfaceRequest& request) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Net> net, Find(request.network()));
  if (net->core == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("container cannot be connected to the ", net->info.name(),
                     " network: it takes no interfaces"));
  }
  BERTH_ASSIGN_OR_RETURN(v1::NetworkInterface reply,
                         net->core->AllocateInterface(request));
  reply.set_network_id(net->info.id());
  reply.set_network_name(net->info.name());
  return reply;
}

absl::Status NetworkManager::ReleaseInterface(
    const v1::ReleaseInterfaceRequest& request) {
  if (!request.network().empty()) {
    BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Net> net, Find(request.network()));
    if (net->core == nullptr) return absl::OkStatus();
    return net->core->ReleaseInterface(request.container_id());
  }
  std::vector<std::shared_ptr<Net>> all;
  std::shared_ptr<Net> bridge;
  {
    absl::MutexLock lock(&mu_);
    BERTH_ASSIGN_OR_RETURN(bridge, FindLocked(""));
    for (const auto& [id, net] : networks_) all.push_back(net);
  }
  absl::Status error;
  for (const std::shared_ptr<Net>& net : all) {
    if (net->core == nullptr) continue;
    // The default bridge always: it also frees an address left without
    // an endpoint.
    if (net != bridge && !net->core->HasEndpoint(request.container_id())) {
      continue;
    }
    absl::Status released = net->core->ReleaseInterface(request.container_id());
    if (!released.ok() && error.ok()) error = released;
  }
  return error;
}

std::shared_ptr<NetworkManager::Net> NetworkManager::PortNetwork(
    const std::string& container_id) {
  absl::MutexLock lock(&mu_);
  if (default_ == nullptr || default_->core->HasEndpoint(container_id)) {
    return default_;
  }
  for (const auto& [id, net] : networks_) {
    if (net->core != nullptr && net->core->HasEndpoint(container_id)) {
      return net;
    }
  }
  return default_;
}

absl::StatusOr<v1::PortBinding> NetworkManager::AllocatePort(
    const v1::AllocatePortRequest& request) {
  std::shared_ptr<Net> net = PortNetwork(request.container_id());
  if (net == nullptr) return Find("").status();
  return net->core->AllocatePort(request);
}

absl::Status NetworkManager::ReleasePort(
    const v1::ReleasePortRequest& request) {
  std::shared_ptr<Net> net = PortNetwork(request.container_id());
  if (net == nullptr) return Find("").status();
  return net->core->ReleasePort(request);
}

absl::Status NetworkManager::Link(const v1::LinkRequest& request) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Net> net, Find(""));
  return net->core->Link(request);
}

}  // namespace berth::netd
