#include "services/netd/endpoint_store.h"

#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace berth::netd {
namespace {

constexpr absl::string_view kSuffix = ".json";

nlohmann::json ToJson(const Endpoint& endpoint) {
  nlohmann::json ports = nlohmann::json::array();
  for (const Endpoint::Port& port : endpoint.ports) {
    const PortMapping& m = port.mapping;
    ports.push_back({{"seq", port.seq},
                     {"proto", std::string(ProtocolName(m.protocol))},
                     {"host_ip", m.host_ip.ToString()},
                     {"host_port", m.host_port},
                     {"container_port", m.container_port}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (const Endpoint::Link& link : endpoint.links) {
    links.push_back({{"seq", link.seq},
                     {"proto", std::string(ProtocolName(link.rule.protocol))},
                     {"child_ip", link.rule.child.ToString()},
                     {"port", link.rule.port}});
  }
  return {{"container_id", endpoint.container_id},
          {"container_name", endpoint.container_name},
          {"interface", endpoint.interface_name},
          {"netns", endpoint.netns_path},
          {"host_veth", endpoint.host_veth},
          {"ip", endpoint.ip.ToString()},
          {"mac", endpoint.mac},
          {"ports", ports},
          {"links", links}};
}

absl::StatusOr<Ipv4> IpField(const nlohmann::json& json, const char* key) {
  return Ipv4::Parse(json.at(key).get<std::string>());
}

absl::StatusOr<Endpoint> FromJson(const nlohmann::json& json) {
  Endpoint endpoint;
  try {
    endpoint.container_id = json.at("container_id").get<std::string>();
    endpoint.container_name = json.value("container_name", "");
    endpoint.interface_name = json.value("interface", "eth0");
    endpoint.netns_path = json.at("netns").get<std::string>();
    endpoint.host_veth = json.at("host_veth").get<std::string>();
    BERTH_ASSIGN_OR_RETURN(endpoint.ip, IpField(json, "ip"));
    endpoint.mac = json.at("mac").get<std::string>();
    for (const nlohmann::json& port : json.at("ports")) {
      Endpoint::Port entry;
      entry.seq = port.at("seq").get<int64_t>();
      BERTH_ASSIGN_OR_RETURN(
          entry.mapping.protocol,
          ParseProtocol(port.at("proto").get<std::string>()));
      BERTH_ASSIGN_OR_RETURN(entry.mapping.host_ip, IpField(port, "host_ip"));
      entry.mapping.host_port = port.at("host_port").get<int>();
      entry.mapping.container_ip = endpoint.ip;
      entry.mapping.container_port = port.at("container_port").get<int>();
      endpoint.ports.push_back(entry);
    }
    for (const nlohmann::json& link : json.at("links")) {
      Endpoint::Link entry;
      entry.seq = link.at("seq").get<int64_t>();
      BERTH_ASSIGN_OR_RETURN(
          entry.rule.protocol,
          ParseProtocol(link.at("proto").get<std::string>()));
      entry.rule.parent = endpoint.ip;
      BERTH_ASSIGN_OR_RETURN(entry.rule.child, IpField(link, "child_ip"));
      entry.rule.port = link.at("port").get<int>();
      endpoint.links.push_back(entry);
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(e.what());
  }
  return endpoint;
}

}  // namespace

absl::Status CheckContainerId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && absl::ascii_isalnum(id[0]);
  for (char c : id) {
    ok = ok && (absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid container ID \"", id,
                   "\": use letters, digits, '_', '.' and '-' (at most 128)"));
}

std::string EndpointStore::Path(const std::string& container_id) const {
  return absl::StrCat(dir_, "/", container_id, kSuffix);
}

absl::StatusOr<std::vector<Endpoint>> EndpointStore::LoadAll() const {
  BERTH_RETURN_IF_ERROR(MakeDirs(dir_, 0700));
  DIR* dir = opendir(dir_.c_str());
  if (dir == nullptr) return ErrnoStatus(errno, absl::StrCat("open ", dir_));
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (absl::EndsWith(name, kSuffix) && name[0] != '.') {
      names.push_back(std::move(name));
    }
  }
  closedir(dir);
  std::vector<Endpoint> endpoints;
  for (const std::string& name : names) {
    std::string path = absl::StrCat(dir_, "/", name);
    absl::StatusOr<std::string> text = ReadFile(path);
    absl::StatusOr<Endpoint> endpoint =
        text.ok() ? FromJson(nlohmann::json::parse(*text, nullptr, false))
                  : absl::StatusOr<Endpoint>(text.status());
    if (!endpoint.ok()) {
      LOG(WARNING) << "netd: skipping " << path << ": " << endpoint.status();
      continue;
    }
    endpoints.push_back(std::move(*endpoint));
  }
  return endpoints;
}

absl::Status EndpointStore::Save(const Endpoint& endpoint) const {
  BERTH_RETURN_IF_ERROR(CheckContainerId(endpoint.container_id));
  BERTH_RETURN_IF_ERROR(MakeDirs(dir_, 0700));
  return WriteFileAtomic(Path(endpoint.container_id),
                         ToJson(endpoint).dump() + "\n", 0600);
}

absl::Status EndpointStore::Remove(const std::string& container_id) const {
  BERTH_RETURN_IF_ERROR(CheckContainerId(container_id));
  std::string path = Path(container_id);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove ", path));
  }
  return absl::OkStatus();
}

}  // namespace berth::netd
