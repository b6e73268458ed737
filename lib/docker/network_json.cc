#include "lib/docker/network_json.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace berth {
namespace {

using nlohmann::json;
using StringMap = google::protobuf::Map<std::string, std::string>;

// What Go's zero time.Time marshals to: dockerd's Created for a network
// that has no creation time.
constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";

// One object of a request body, read as Go's encoding/json fills dockerd's
// structs: a missing or null field is the zero value, one of another type
// is an error (400) rather than something silently dropped.
class Fields {
 public:
  // `what` names the body in errors ("network create"); `path` prefixes
  // the keys of a nested object ("IPAM.").
  static absl::StatusOr<Fields> Of(json obj, std::string what,
                                   std::string path = "") {
    if (!obj.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid ", what, " body: ",
          path.empty() ? "want a JSON object" : path + " must be an object"));
    }
    return Fields(std::move(obj), std::move(what), std::move(path));
  }

  absl::Status String(const char* key, std::string* out) const {
    const json* value = Find(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_string()) return WrongType(key, "a string");
    *out = value->get<std::string>();
    return absl::OkStatus();
  }

  absl::Status Bool(const char* key, bool* out) const {
    const json* value = Find(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_boolean()) return WrongType(key, "a boolean");
    *out = value->get<bool>();
    return absl::OkStatus();
  }

  absl::Status Strings(
      const char* key,
      google::protobuf::RepeatedPtrField<std::string>* out) const {
    const json* value = Find(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_array()) return WrongType(key, "an array of strings");
    for (const json& item : *value) {
      if (!item.is_string()) return WrongType(key, "an array of strings");
      out->Add(item.get<std::string>());
    }
    return absl::OkStatus();
  }

  absl::Status Map(const char* key, StringMap* out) const {
    const json* value = Find(key);
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_object()) return WrongType(key, "an object of strings");
    for (const auto& [name, item] : value->items()) {
      if (!item.is_string()) return WrongType(key, "an object of strings");
      (*out)[name] = item.get<std::string>();
    }
    return absl::OkStatus();
  }

  // An empty object when missing or null.
  absl::StatusOr<Fields> Object(const char* key) const {
    const json* value = Find(key);
    return Of(value == nullptr ? json::object() : *value, what_,
              absl::StrCat(path_, key));
  }

  // An empty array when missing or null.
  absl::StatusOr<json> Array(const char* key) const {
    const json* value = Find(key);
    if (value == nullptr) return json::array();
    if (!value->is_array()) return WrongType(key, "an array");
    return *value;
  }

  const std::string& what() const { return what_; }

 private:
  Fields(json obj, std::string what, std::string path)
      : obj_(std::move(obj)),
        what_(std::move(what)),
        path_(path.empty() ? "" : path + ".") {}

  const json* Find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }

  absl::Status WrongType(const char* key, const char* want) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid ", what_, " body: ", path_, key, " must be ", want));
  }

  json obj_;
  std::string what_;
  std::string path_;
};

absl::Status Unsupported(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("berth does not support ", what));
}

absl::Status NoIpv6() {
  return absl::InvalidArgumentError(
      "berth does not support IPv6: its networks are IPv4 only");
}

// berth's only driver is bridge; host and none exist once, made by berth.
// The errors are dockerd's.
absl::Status CheckDriver(const std::string& driver) {
  if (driver.empty() || driver == "bridge") return absl::OkStatus();
  if (driver == "host" || driver == "null") {
    return absl::PermissionDeniedError(absl::StrCat(
        "only one instance of \"", driver, "\" network is allowed"));
  }
  return absl::NotFoundError(absl::StrCat("plugin \"", driver, "\" not found"));
}

// IPAM.Config: at most one IPv4 pool, which goes into `config`.
absl::Status ReadIpam(const Fields& body, v1::NetworkConfig* config) {
  BERTH_ASSIGN_OR_RETURN(Fields ipam, body.Object("IPAM"));
  std::string driver;
  BERTH_RETURN_IF_ERROR(ipam.String("Driver", &driver));
  if (!driver.empty() && driver != "default") {
    return absl::NotFoundError(
        absl::StrCat("plugin \"", driver, "\" not found"));
  }
  BERTH_ASSIGN_OR_RETURN(json pools, ipam.Array("Config"));
  bool have_pool = false;
  for (size_t i = 0; i < pools.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(Fields pool,
                           Fields::Of(pools[i], body.what(),
                                      absl::StrCat("IPAM.Config[", i, "]")));
    std::string subnet, gateway, ip_range;
    StringMap aux;
    BERTH_RETURN_IF_ERROR(pool.String("Subnet", &subnet));
    BERTH_RETURN_IF_ERROR(pool.String("Gateway", &gateway));
    BERTH_RETURN_IF_ERROR(pool.String("IPRange", &ip_range));
    BERTH_RETURN_IF_ERROR(pool.Map("AuxiliaryAddresses", &aux));
    if (subnet.empty() && gateway.empty() && ip_range.empty()) continue;
    if (absl::StrContains(subnet, ':') || absl::StrContains(gateway, ':') ||
        absl::StrContains(ip_range, ':')) {
      return NoIpv6();
    }
    // An empty subnet means "pick a free one", so a gateway or range
    // without one could not be honoured.
    if (subnet.empty()) {
      return absl::InvalidArgumentError(
          "every ip-range or gateway must have a corresponding subnet");
    }
    if (!aux.empty()) return Unsupported("auxiliary addresses");
    if (have_pool) return Unsupported("more than one IPv4 subnet per network");
    have_pool = true;
    config->set_subnet(subnet);
    config->set_gateway(gateway);
    config->set_ip_range(ip_range);
  }
  return absl::OkStatus();
}

// Settings that would change what the network is, refused rather than
// ignored.
absl::Status CheckUnsupported(const Fields& body) {
  std::string scope;
  BERTH_RETURN_IF_ERROR(body.String("Scope", &scope));
  if (!scope.empty() && scope != "local") {
    return Unsupported(absl::StrCat("networks of scope \"", scope, "\""));
  }
  bool ingress = false, config_only = false;
  BERTH_RETURN_IF_ERROR(body.Bool("Ingress", &ingress));
  if (ingress) return Unsupported("ingress networks");
  BERTH_RETURN_IF_ERROR(body.Bool("ConfigOnly", &config_only));
  if (config_only) return Unsupported("config-only networks");
  BERTH_ASSIGN_OR_RETURN(Fields config_from, body.Object("ConfigFrom"));
  std::string from;
  BERTH_RETURN_IF_ERROR(config_from.String("Network", &from));
  if (!from.empty()) return Unsupported("ConfigFrom");
  bool ipv6 = false;
  BERTH_RETURN_IF_ERROR(body.Bool("EnableIPv6", &ipv6));
  if (ipv6) return NoIpv6();
  return absl::OkStatus();
}

json StringMapJson(const StringMap& map) {
  json out = json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

json IpamJson(const v1::Network& network) {
  json pools = json::array();
  if (!network.subnet().empty()) {
    // Gateway and IPRange are omitted when empty, as dockerd does.
    json pool = {{"Subnet", network.subnet()}};
    if (!network.gateway().empty()) pool["Gateway"] = network.gateway();
    if (!network.ip_range().empty()) pool["IPRange"] = network.ip_range();
    pools.push_back(std::move(pool));
  }
  // dockerd shows null for the networks it made itself and {} for those
  // created through the API (the CLI sends empty IPAM options).
  return {{"Driver", "default"},
          {"Options", network.builtin() ? json(nullptr) : json::object()},
          {"Config", std::move(pools)}};
}

json ContainersJson(const v1::Network& network) {
  json out = json::object();
  for (const v1::NetworkEndpoint& endpoint : network.endpoints()) {
    std::string name = endpoint.container_name();
    if (absl::StartsWith(name, "/")) name.erase(0, 1);
    out[endpoint.container_id()] = {
        {"Name", name},
        {"EndpointID", endpoint.endpoint_id()},
        {"MacAddress", endpoint.mac_address()},
        {"IPv4Address", endpoint.ipv4_address()},
        {"IPv6Address", ""},
    };
  }
  return out;
}

json NetworkJsonWith(const v1::Network& network, bool with_containers) {
  return {
      {"Name", network.name()},
      {"Id", network.id()},
      {"Created", network.created().empty() ? kZeroTime : network.created()},
      {"Scope", "local"},
      {"Driver", network.driver()},
      // host and none carry no addresses of their own.
      {"EnableIPv4", network.driver() == "bridge"},
      {"EnableIPv6", false},
      {"IPAM", IpamJson(network)},
      {"Internal", network.internal()},
      {"Attachable", network.attachable()},
      {"Ingress", false},
      {"ConfigFrom", {{"Network", ""}}},
      {"ConfigOnly", false},
      {"Containers",
       with_containers ? ContainersJson(network) : json::object()},
      {"Options", StringMapJson(network.options())},
      {"Labels", StringMapJson(network.labels())},
  };
}

}  // namespace

absl::StatusOr<v1::NetworkConfig> NetworkConfigFromJson(const json& body) {
  BERTH_ASSIGN_OR_RETURN(Fields fields, Fields::Of(body, "network create"));
  v1::NetworkConfig config;
  BERTH_RETURN_IF_ERROR(fields.String("Name", config.mutable_name()));
  // dockerd's wording.
  if (absl::StripAsciiWhitespace(config.name()).empty()) {
    return absl::InvalidArgumentError("invalid name: name is empty");
  }
  BERTH_RETURN_IF_ERROR(fields.String("Driver", config.mutable_driver()));
  BERTH_RETURN_IF_ERROR(CheckDriver(config.driver()));
  BERTH_RETURN_IF_ERROR(CheckUnsupported(fields));
  bool internal = false, attachable = false;
  BERTH_RETURN_IF_ERROR(fields.Bool("Internal", &internal));
  BERTH_RETURN_IF_ERROR(fields.Bool("Attachable", &attachable));
  config.set_internal(internal);
  config.set_attachable(attachable);
  BERTH_RETURN_IF_ERROR(fields.Map("Labels", config.mutable_labels()));
  BERTH_RETURN_IF_ERROR(fields.Map("Options", config.mutable_options()));
  BERTH_RETURN_IF_ERROR(ReadIpam(fields, &config));
  return config;
}

json NetworkJson(const v1::Network& network) {
  return NetworkJsonWith(network, /*with_containers=*/true);
}

json NetworkListJson(const v1::ListNetworksReply& reply, bool with_containers) {
  json out = json::array();
  for (const v1::Network& network : reply.networks()) {
    out.push_back(NetworkJsonWith(network, with_containers));
  }
  return out;
}

json NetworkCreateJson(const v1::Network& network) {
  return {{"Id", network.id()}, {"Warning", ""}};
}

json NetworkPruneJson(const v1::PruneNetworksReply& reply) {
  json deleted = nullptr;
  for (const std::string& name : reply.deleted()) deleted.push_back(name);
  return {{"NetworksDeleted", std::move(deleted)}};
}

absl::StatusOr<v1::NetworkConnectRequest> NetworkConnectFromJson(
    const json& body, const std::string& network) {
  BERTH_ASSIGN_OR_RETURN(Fields fields, Fields::Of(body, "network connect"));
  v1::NetworkConnectRequest request;
  request.set_network(network);
  BERTH_RETURN_IF_ERROR(
      fields.String("Container", request.mutable_container()));
  BERTH_ASSIGN_OR_RETURN(Fields endpoint, fields.Object("EndpointConfig"));
  BERTH_RETURN_IF_ERROR(endpoint.Strings("Aliases", request.mutable_aliases()));
  google::protobuf::RepeatedPtrField<std::string> links;
  BERTH_RETURN_IF_ERROR(endpoint.Strings("Links", &links));
  if (!links.empty()) return Unsupported("links on network connect");
  BERTH_ASSIGN_OR_RETURN(Fields ipam, endpoint.Object("IPAMConfig"));
  std::string ipv4, ipv6;
  BERTH_RETURN_IF_ERROR(ipam.String("IPv4Address", &ipv4));
  BERTH_RETURN_IF_ERROR(ipam.String("IPv6Address", &ipv6));
  if (!ipv6.empty()) return NoIpv6();
  if (!ipv4.empty()) return Unsupported("a static address on network connect");
  // dockerd's answer when the container is not found.
  if (request.container().empty()) {
    return absl::NotFoundError("No such container: ");
  }
  return request;
}

absl::StatusOr<v1::NetworkConnectRequest> NetworkDisconnectFromJson(
    const json& body, const std::string& network) {
  BERTH_ASSIGN_OR_RETURN(Fields fields, Fields::Of(body, "network disconnect"));
  v1::NetworkConnectRequest request;
  request.set_network(network);
  BERTH_RETURN_IF_ERROR(
      fields.String("Container", request.mutable_container()));
  bool force = false;
  BERTH_RETURN_IF_ERROR(fields.Bool("Force", &force));
  request.set_force(force);
  if (request.container().empty()) {
    return absl::NotFoundError("No such container: ");
  }
  return request;
}

}  // namespace berth
