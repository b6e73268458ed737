#include "lib/docker/container_json.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/docker/json_escape.h"
#include "lib/docker/json_util.h"

namespace berth {
namespace {

using nlohmann::json;

bool JsonBool(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

int64_t JsonInt(const json& obj, const char* key, int64_t fallback = 0) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return fallback;
  return it->is_number_float() ? static_cast<int64_t>(it->get<double>())
                               : it->get<int64_t>();
}

// Docker's strslice: a list, or a single string meaning a one-item list.
template <typename Field>
void StringList(const json& obj, const char* key, Field* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (it->is_string()) {
    out->Add(it->get<std::string>());
    return;
  }
  if (!it->is_array()) return;
  for (const json& item : *it) {
    if (item.is_string()) out->Add(item.get<std::string>());
  }
}

template <typename Map>
void StringMap(const json& obj, const char* key, Map* out) {
  json map = JsonObject(obj, key);
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it.value().is_string())
      (*out)[it.key()] = it.value().get<std::string>();
  }
}

json Strings(const google::protobuf::RepeatedPtrField<std::string>& list,
             bool null_when_empty = true) {
  if (list.empty() && null_when_empty) return nullptr;
  return json(std::vector<std::string>(list.begin(), list.end()));
}

json StringMapJson(const google::protobuf::Map<std::string, std::string>& map) {
  json out = json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

json KeySet(const google::protobuf::RepeatedPtrField<std::string>& keys) {
  if (keys.empty()) return nullptr;
  json out = json::object();
  for (const std::string& key : keys) out[key] = json::object();
  return out;
}

json MountJson(const v1::MountPoint& mount) {
  json out = {{"Type", mount.type()},
              {"Source", mount.source()},
              {"Destination", mount.destination()},
              {"Mode", mount.read_only() ? "ro" : ""},
              {"RW", !mount.read_only()},
              {"Propagation", mount.type() == "bind" ? "rprivate" : ""}};
  if (mount.type() == "volume") {
    out["Name"] = mount.name();
    out["Driver"] = "local";
    out["Mode"] = mount.read_only() ? "ro" : "z";
  }
  return out;
}

}  // namespace

absl::StatusOr<v1::CreateContainerRequest> CreateRequestFromJson(
    const json& body) {
  if (!body.is_object()) {
    return absl::InvalidArgumentError(
        "invalid JSON: the container config must be an object");
  }
  v1::CreateContainerRequest request;
  v1::ContainerConfig* config = request.mutable_config();
  config->set_image(JsonString(body, "Image"));
  StringList(body, "Cmd", config->mutable_cmd());
  auto entrypoint = body.find("Entrypoint");
  if (entrypoint != body.end() && !entrypoint->is_null()) {
    config->set_entrypoint_set(true);
    StringList(body, "Entrypoint", config->mutable_entrypoint());
    // `--entrypoint ""` resets the image's entrypoint to nothing.
    if (config->entrypoint_size() == 1 && config->entrypoint(0).empty()) {
      config->clear_entrypoint();
    }
  }
  StringList(body, "Env", config->mutable_env());
  config->set_working_dir(JsonString(body, "WorkingDir"));
  config->set_user(JsonString(body, "User"));
  config->set_hostname(JsonString(body, "Hostname"));
  config->set_domainname(JsonString(body, "Domainname"));
  config->set_tty(JsonBool(body, "Tty"));
  config->set_open_stdin(JsonBool(body, "OpenStdin"));
  config->set_stdin_once(JsonBool(body, "StdinOnce"));
  config->set_attach_stdin(JsonBool(body, "AttachStdin"));
  config->set_attach_stdout(JsonBool(body, "AttachStdout"));
  config->set_attach_stderr(JsonBool(body, "AttachStderr"));
  StringMap(body, "Labels", config->mutable_labels());
  config->set_stop_signal(JsonString(body, "StopSignal"));
  config->set_stop_timeout(
      static_cast<int32_t>(JsonInt(body, "StopTimeout", -1)));
  json exposed = JsonObject(body, "ExposedPorts");
  for (auto it = exposed.begin(); it != exposed.end(); ++it) {
    config->add_exposed_ports(it.key());
  }
  json volumes = JsonObject(body, "Volumes");
  for (auto it = volumes.begin(); it != volumes.end(); ++it) {
    config->add_volumes(it.key());
  }
  config->set_network_disabled(JsonBool(body, "NetworkDisabled"));

  json host_json = JsonObject(body, "HostConfig");
  v1::HostConfig* host = request.mutable_host_config();
  StringList(host_json, "Binds", host->mutable_binds());
  for (const json& mount : JsonArray(host_json, "Mounts")) {
    v1::MountPoint* point = host->add_mounts();
    point->set_type(JsonString(mount, "Type"));
    point->set_source(JsonString(mount, "Source"));
    point->set_destination(JsonString(mount, "Target"));
    point->set_read_only(JsonBool(mount, "ReadOnly"));
    point->set_no_copy(JsonBool(JsonObject(mount, "VolumeOptions"), "NoCopy"));
    json tmpfs = JsonObject(mount, "TmpfsOptions");
    std::string options;
    if (int64_t size = JsonInt(tmpfs, "SizeBytes"); size > 0) {
      options = absl::StrCat("size=", size);
    }
    if (int64_t mode = JsonInt(tmpfs, "Mode"); mode > 0) {
      absl::StrAppend(&options, options.empty() ? "" : ",",
                      "mode=", absl::StrFormat("%o", mode));
    }
    point->set_options(options);
  }
  StringMap(host_json, "Tmpfs", host->mutable_tmpfs());
  host->set_network_mode(JsonString(host_json, "NetworkMode"));
  host->set_auto_remove(JsonBool(host_json, "AutoRemove"));
  host->set_readonly_rootfs(JsonBool(host_json, "ReadonlyRootfs"));
  host->set_privileged(JsonBool(host_json, "Privileged"));
  host->set_init(JsonBool(host_json, "Init"));
  StringList(host_json, "CapAdd", host->mutable_cap_add());
  StringList(host_json, "CapDrop", host->mutable_cap_drop());
  StringList(host_json, "SecurityOpt", host->mutable_security_opt());
  for (const json& ulimit : JsonArray(host_json, "Ulimits")) {
    v1::Ulimit* out = host->add_ulimits();
    out->set_name(JsonString(ulimit, "Name"));
    out->set_soft(JsonInt(ulimit, "Soft"));
    out->set_hard(JsonInt(ulimit, "Hard"));
  }
  json policy = JsonObject(host_json, "RestartPolicy");
  host->mutable_restart_policy()->set_name(JsonString(policy, "Name"));
  host->mutable_restart_policy()->set_maximum_retry_count(
      static_cast<int32_t>(JsonInt(policy, "MaximumRetryCount")));
  host->set_memory(JsonInt(host_json, "Memory"));
  host->set_memory_swap(JsonInt(host_json, "MemorySwap"));
  host->set_nano_cpus(JsonInt(host_json, "NanoCpus"));
  host->set_cpu_shares(JsonInt(host_json, "CpuShares"));
  host->set_cpu_quota(JsonInt(host_json, "CpuQuota"));
  host->set_cpu_period(JsonInt(host_json, "CpuPeriod"));
  host->set_cpuset_cpus(JsonString(host_json, "CpusetCpus"));
  host->set_cpuset_mems(JsonString(host_json, "CpusetMems"));
  host->set_pids_limit(JsonInt(host_json, "PidsLimit"));
  host->set_oom_score_adj(
      static_cast<int32_t>(JsonInt(host_json, "OomScoreAdj")));
  StringList(host_json, "Dns", host->mutable_dns());
  StringList(host_json, "DnsSearch", host->mutable_dns_search());
  StringList(host_json, "DnsOptions", host->mutable_dns_options());
  StringList(host_json, "ExtraHosts", host->mutable_extra_hosts());
  StringList(host_json, "GroupAdd", host->mutable_group_add());
  json log = JsonObject(host_json, "LogConfig");
  host->set_log_type(JsonString(log, "Type"));
  StringMap(log, "Config", host->mutable_log_config());
  if (!host->log_type().empty() && host->log_type() != "json-file") {
    return absl::InvalidArgumentError(absl::StrCat(
        "logger: no log driver named '", host->log_type(), "' is registered"));
  }
  host->set_publish_all_ports(JsonBool(host_json, "PublishAllPorts"));
  StringList(host_json, "Links", host->mutable_links());
  json bindings = JsonObject(host_json, "PortBindings");
  for (auto it = bindings.begin(); it != bindings.end(); ++it) {
    (*host->mutable_port_bindings_json())[it.key()] = it.value().dump();
  }
  json endpoints =
      JsonObject(JsonObject(body, "NetworkingConfig"), "EndpointsConfig");
  for (auto it = endpoints.begin(); it != endpoints.end(); ++it) {
    // Named even without settings: the container joins that network.
    v1::EndpointSettings& endpoint = (*request.mutable_endpoints())[it.key()];
    StringList(it.value(), "Aliases", endpoint.mutable_aliases());
    StringList(it.value(), "Links", endpoint.mutable_links());
  }
  return request;
}

json ContainerConfigJson(const v1::ContainerConfig& config) {
  return {
      {"Hostname", config.hostname()},
      {"Domainname", config.domainname()},
      {"User", config.user()},
      {"AttachStdin", config.attach_stdin()},
      {"AttachStdout", config.attach_stdout()},
      {"AttachStderr", config.attach_stderr()},
      {"ExposedPorts", KeySet(config.exposed_ports())},
      {"Tty", config.tty()},
      {"OpenStdin", config.open_stdin()},
      {"StdinOnce", config.stdin_once()},
      {"Env", Strings(config.env())},
      {"Cmd", Strings(config.cmd())},
      {"Image", config.image()},
      {"Volumes", KeySet(config.volumes())},
      {"WorkingDir", config.working_dir()},
      {"Entrypoint", Strings(config.entrypoint())},
      {"OnBuild", nullptr},
      {"Labels", StringMapJson(config.labels())},
      {"StopSignal", config.stop_signal().empty() ? json(nullptr)
                                                  : json(config.stop_signal())},
      {"StopTimeout", config.stop_timeout() >= 0 ? json(config.stop_timeout())
                                                 : json(nullptr)},
  };
}

json HostConfigJson(const v1::HostConfig& host) {
  json tmpfs = json::object();
  for (const auto& [dst, options] : host.tmpfs()) tmpfs[dst] = options;
  json ulimits = json::array();
  for (const v1::Ulimit& ulimit : host.ulimits()) {
    ulimits.push_back({{"Name", ulimit.name()},
                       {"Soft", ulimit.soft()},
                       {"Hard", ulimit.hard()}});
  }
  json ports = json::object();
  for (const auto& [port, bindings] : host.port_bindings_json()) {
    ports[port] = json::parse(bindings, nullptr, false);
  }
  json log_config = json::object();
  for (const auto& [key, value] : host.log_config()) log_config[key] = value;
  json mounts = json::array();
  for (const v1::MountPoint& mount : host.mounts()) {
    mounts.push_back({{"Type", mount.type()},
                      {"Source", mount.source()},
                      {"Target", mount.destination()},
                      {"ReadOnly", mount.read_only()}});
  }
  return {
      {"Binds", Strings(host.binds())},
      {"ContainerIDFile", ""},
      {"LogConfig", {{"Type", "json-file"}, {"Config", log_config}}},
      {"NetworkMode", host.network_mode()},
      {"PortBindings", ports},
      {"PublishAllPorts", host.publish_all_ports()},
      {"Links", Strings(host.links(), false)},
      {"RestartPolicy",
       {{"Name", host.restart_policy().name().empty()
                     ? "no"
                     : host.restart_policy().name()},
        {"MaximumRetryCount", host.restart_policy().maximum_retry_count()}}},
      {"AutoRemove", host.auto_remove()},
      {"CapAdd", Strings(host.cap_add())},
      {"CapDrop", Strings(host.cap_drop())},
      {"Dns", Strings(host.dns(), false)},
      {"DnsOptions", Strings(host.dns_options(), false)},
      {"DnsSearch", Strings(host.dns_search(), false)},
      {"ExtraHosts", Strings(host.extra_hosts())},
      {"GroupAdd", Strings(host.group_add())},
      {"OomScoreAdj", host.oom_score_adj()},
      {"Privileged", host.privileged()},
      {"ReadonlyRootfs", host.readonly_rootfs()},
      {"SecurityOpt", Strings(host.security_opt())},
      {"Tmpfs", tmpfs},
      {"Init", host.init() ? json(true) : json(nullptr)},
      {"Memory", host.memory()},
      {"MemorySwap", host.memory_swap()},
      {"NanoCpus", host.nano_cpus()},
      {"CpuShares", host.cpu_shares()},
      {"CpuPeriod", host.cpu_period()},
      {"CpuQuota", host.cpu_quota()},
      {"CpusetCpus", host.cpuset_cpus()},
      {"CpusetMems", host.cpuset_mems()},
      {"PidsLimit",
       host.pids_limit() != 0 ? json(host.pids_limit()) : json(nullptr)},
      {"Ulimits", ulimits},
      {"Mounts", mounts},
  };
}

namespace {

// Written directly, not through a json tree: `docker ps` lists every
// container with its endpoints, and the listing is hot.
void AppendStringList(
    const google::protobuf::RepeatedPtrField<std::string>& list,
    std::string* out) {
  if (list.empty()) {
    out->append("null");
    return;
  }
  out->push_back('[');
  for (int i = 0; i < list.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(list[i], out);
  }
  out->push_back(']');
}

void AppendEndpointJson(const v1::EndpointSettings& endpoint,
                        std::string* out) {
  auto field = [out](const char* key, absl::string_view value) {
    absl::StrAppend(out, ",\"", key, "\":");
    AppendJsonString(value, out);
  };
  out->append("{\"IPAMConfig\":null,\"Links\":");
  AppendStringList(endpoint.links(), out);
  out->append(",\"Aliases\":");
  AppendStringList(endpoint.aliases(), out);
  field("MacAddress", endpoint.mac_address());
  out->append(",\"DriverOpts\":null");
  field("NetworkID", endpoint.network_id());
  field("EndpointID", endpoint.endpoint_id());
  field("Gateway", endpoint.gateway());
  field("IPAddress", endpoint.ip_address());
  absl::StrAppend(out, ",\"IPPrefixLen\":", endpoint.ip_prefix_len(),
                  ",\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\","
                  "\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}");
}

json EndpointJson(const v1::EndpointSettings& endpoint) {
  std::string text;
  AppendEndpointJson(endpoint, &text);
  return json::parse(text);
}

json NetworkSettingsJson(const v1::ContainerDetail& detail) {
  const v1::NetworkSettings& settings = detail.network_settings();
  // Exposed ports show as null until published; a stopped container has
  // none.
  json ports = json::object();
  bool running = !settings.sandbox_key().empty();
  if (running) {
    for (const std::string& port : detail.config().exposed_ports()) {
      ports[port] = nullptr;
    }
  }
  for (const v1::PublishedPort& port : settings.ports()) {
    json& list = ports[port.container_port()];
    if (!list.is_array()) list = json::array();
    list.push_back({{"HostIp", port.host_ip()},
                    {"HostPort", std::to_string(port.host_port())}});
  }
  json networks = json::object();
  for (const auto& [name, endpoint] : settings.networks()) {
    networks[name] = EndpointJson(endpoint);
  }
  // The legacy top-level fields mirror the default bridge.
  v1::EndpointSettings bridge;
  if (auto it = settings.networks().find("bridge");
      it != settings.networks().end()) {
    bridge = it->second;
  }
  return {
      {"Bridge", settings.bridge()},
      {"SandboxID", ""},
      {"SandboxKey", settings.sandbox_key()},
      {"Ports", ports},
      {"HairpinMode", false},
      {"LinkLocalIPv6Address", ""},
      {"LinkLocalIPv6PrefixLen", 0},
      {"SecondaryIPAddresses", nullptr},
      {"SecondaryIPv6Addresses", nullptr},
      {"EndpointID", bridge.endpoint_id()},
      {"Gateway", bridge.gateway()},
      {"GlobalIPv6Address", ""},
      {"GlobalIPv6PrefixLen", 0},
      {"IPAddress", bridge.ip_address()},
      {"IPPrefixLen", bridge.ip_prefix_len()},
      {"IPv6Gateway", ""},
      {"MacAddress", bridge.mac_address()},
      {"Networks", networks},
  };
}

}  // namespace

json ContainerInspectJson(const v1::ContainerDetail& detail) {
  const v1::ContainerState& state = detail.state();
  json graph_data = json::object();
  for (const auto& [key, value] : detail.graph_driver_data()) {
    graph_data[key] = value;
  }
  json mounts = json::array();
  for (const v1::MountPoint& mount : detail.mounts()) {
    mounts.push_back(MountJson(mount));
  }
  return {
      {"Id", detail.id()},
      {"Created", detail.created()},
      {"Path", detail.path()},
      {"Args", Strings(detail.args(), false)},
      {"State",
       {{"Status", state.status()},
        {"Running", state.status() == "running" || state.status() == "paused"},
        {"Paused", state.status() == "paused"},
        {"Restarting", state.restarting()},
        {"OOMKilled", state.oom_killed()},
        {"Dead", state.status() == "dead"},
        {"Pid", state.pid()},
        {"ExitCode", state.exit_code()},
        {"Error", state.error()},
        {"StartedAt", state.started_at()},
        {"FinishedAt", state.finished_at()}}},
      {"Image", detail.image_id()},
      {"ResolvConfPath", detail.resolv_conf_path()},
      {"HostnamePath", detail.hostname_path()},
      {"HostsPath", detail.hosts_path()},
      {"LogPath", detail.log_path()},
      {"Name", detail.name()},
      {"RestartCount", state.restart_count()},
      {"Driver", detail.driver()},
      {"Platform", "linux"},
      {"MountLabel", ""},
      {"ProcessLabel", ""},
      {"AppArmorProfile", ""},
      {"ExecIDs", nullptr},
      {"HostConfig", HostConfigJson(detail.host_config())},
      {"GraphDriver", {{"Data", graph_data}, {"Name", detail.driver()}}},
      {"Mounts", mounts},
      {"Config", ContainerConfigJson(detail.config())},
      {"NetworkSettings", NetworkSettingsJson(detail)},
  };
}

std::string ContainerListJson(const v1::ListContainersReply& reply) {
  std::string out = "[";
  auto field = [&out](const char* key, absl::string_view value) {
    absl::StrAppend(&out, "\"", key, "\":");
    AppendJsonString(value, &out);
    out.push_back(',');
  };
  for (const v1::ContainerSummary& summary : reply.containers()) {
    if (out.size() > 1) out.push_back(',');
    out.push_back('{');
    field("Id", summary.id());
    out.append("\"Names\":[");
    for (int i = 0; i < summary.names_size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(summary.names(i), &out);
    }
    out.append("],");
    field("Image", summary.image());
    field("ImageID", summary.image_id());
    field("Command", summary.command());
    absl::StrAppend(&out, "\"Created\":", summary.created(), ",\"Ports\":[");
    for (int i = 0; i < summary.ports_size(); ++i) {
      const v1::PublishedPort& port = summary.ports(i);
      std::pair<absl::string_view, absl::string_view> key =
          absl::StrSplit(port.container_port(), absl::MaxSplits('/', 1));
      int private_port = 0;
      (void)absl::SimpleAtoi(key.first, &private_port);
      absl::StrAppend(&out, i > 0 ? "," : "", "{");
      if (port.host_port() > 0) {
        out.append("\"IP\":");
        AppendJsonString(port.host_ip(), &out);
        absl::StrAppend(&out, ",\"PublicPort\":", port.host_port(), ",");
      }
      absl::StrAppend(&out, "\"PrivatePort\":", private_port, ",\"Type\":");
      AppendJsonString(key.second.empty() ? "tcp" : key.second, &out);
      out.push_back('}');
    }
    out.append("],\"Labels\":{");
    bool first = true;
    for (const auto& [key, value] : summary.labels()) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(key, &out);
      out.push_back(':');
      AppendJsonString(value, &out);
    }
    out.append("},");
    field("State", summary.state());
    field("Status", summary.status());
    // Only asked-for sizes are set; the virtual size is never 0 then.
    if (summary.size_root_fs() > 0) {
      absl::StrAppend(&out, "\"SizeRw\":", summary.size_rw(),
                      ",\"SizeRootFs\":", summary.size_root_fs(), ",");
    }
    out.append("\"HostConfig\":{\"NetworkMode\":");
    AppendJsonString(summary.network_mode(), &out);
    out.append("},\"NetworkSettings\":{\"Networks\":{");
    bool first_network = true;
    for (const auto& [name, endpoint] : summary.networks()) {
      if (!first_network) out.push_back(',');
      first_network = false;
      AppendJsonString(name, &out);
      out.push_back(':');
      AppendEndpointJson(endpoint, &out);
    }
    out.append("}},\"Mounts\":");
    json mounts = json::array();
    for (const v1::MountPoint& mount : summary.mounts()) {
      mounts.push_back(MountJson(mount));
    }
    out.append(mounts.dump());
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

absl::StatusOr<v1::ExecConfig> ExecConfigFromJson(const json& body) {
  if (!body.is_object()) {
    return absl::InvalidArgumentError("the exec config must be a JSON object");
  }
  v1::ExecConfig config;
  StringList(body, "Cmd", config.mutable_cmd());
  StringList(body, "Env", config.mutable_env());
  config.set_user(JsonString(body, "User"));
  config.set_working_dir(JsonString(body, "WorkingDir"));
  config.set_tty(JsonBool(body, "Tty"));
  config.set_attach_stdin(JsonBool(body, "AttachStdin"));
  config.set_attach_stdout(JsonBool(body, "AttachStdout"));
  config.set_attach_stderr(JsonBool(body, "AttachStderr"));
  config.set_privileged(JsonBool(body, "Privileged"));
  config.set_detach_keys(JsonString(body, "DetachKeys"));
  return config;
}

json ExecInspectJson(const v1::ExecDetail& detail) {
  const v1::ExecConfig& config = detail.config();
  json arguments = json::array();
  for (int i = 1; i < config.cmd_size(); ++i)
    arguments.push_back(config.cmd(i));
  return {
      {"ID", detail.id()},
      {"ContainerID", detail.container_id()},
      {"Running", detail.running()},
      {"ExitCode", detail.exited() ? json(detail.exit_code()) : json(nullptr)},
      {"Pid", detail.pid()},
      {"OpenStdin", config.attach_stdin()},
      {"OpenStdout", config.attach_stdout()},
      {"OpenStderr", config.attach_stderr()},
      {"CanRemove", false},
      {"DetachKeys", config.detach_keys()},
      {"ProcessConfig",
       {{"entrypoint", config.cmd().empty() ? "" : config.cmd(0)},
        {"arguments", arguments},
        {"privileged", config.privileged()},
        {"tty", config.tty()},
        {"user", config.user()}}},
  };
}

json TopJson(const v1::TopReply& reply) {
  json processes = json::array();
  for (const v1::TopRow& row : reply.processes()) {
    processes.push_back(Strings(row.fields(), false));
  }
  return {{"Titles", Strings(reply.titles(), false)}, {"Processes", processes}};
}

json PruneContainersJson(const v1::PruneContainersReply& reply) {
  return {{"ContainersDeleted", Strings(reply.deleted())},
          {"SpaceReclaimed", reply.space_reclaimed()}};
}

json ChangesJson(const v1::ChangesReply& reply) {
  // dockerd's list is a nil slice when nothing changed.
  if (reply.changes().empty()) return nullptr;
  json out = json::array();
  for (const v1::FileChange& change : reply.changes()) {
    out.push_back({{"Path", change.path()}, {"Kind", change.kind()}});
  }
  return out;
}

}  // namespace berth
