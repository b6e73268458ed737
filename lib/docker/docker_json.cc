#include "lib/docker/docker_json.h"

#include <string>
#include <vector>

namespace berth {

nlohmann::json VersionJson(const v1::VersionInfo& v) {
  nlohmann::json details = {
      {"ApiVersion", v.api_version()},
      {"Arch", v.arch()},
      {"BuildTime", v.build_time()},
      {"Experimental", "false"},
      {"GitCommit", v.git_commit()},
      {"GoVersion", v.compiler()},
      {"KernelVersion", v.kernel_version()},
      {"MinAPIVersion", v.min_api_version()},
      {"Os", v.os()},
  };
  return {
      {"Platform", {{"Name", "berth " + v.version()}}},
      {"Components",
       {{{"Name", "Engine"}, {"Version", v.version()}, {"Details", details}}}},
      {"Version", v.version()},
      {"ApiVersion", v.api_version()},
      {"MinAPIVersion", v.min_api_version()},
      {"GitCommit", v.git_commit()},
      {"GoVersion", v.compiler()},
      {"Os", v.os()},
      {"Arch", v.arch()},
      {"KernelVersion", v.kernel_version()},
      {"BuildTime", v.build_time()},
  };
}

nlohmann::json InfoJson(const v1::SystemInfo& i) {
  std::vector<std::string> mirrors(i.registry_mirrors().begin(),
                                   i.registry_mirrors().end());
  nlohmann::json warnings = nlohmann::json::array();
  for (const std::string& w : i.warnings()) warnings.push_back(w);
  nlohmann::json no_commit = {{"ID", ""}, {"Expected", ""}};
  nlohmann::json driver_status = nlohmann::json::array();
  for (const v1::KeyValue& row : i.driver_status()) {
    driver_status.push_back({row.key(), row.value()});
  }
  return {
      {"ID", i.id()},
      {"Containers", i.containers()},
      {"ContainersRunning", i.containers_running()},
      {"ContainersPaused", i.containers_paused()},
      {"ContainersStopped", i.containers_stopped()},
      {"Images", i.images()},
      {"Driver", i.storage_driver()},
      {"DriverStatus", driver_status},
      {"Plugins",
       {{"Volume", {"local"}},
        {"Network", {"bridge", "host", "none"}},
        {"Authorization", nullptr},
        {"Log", {"json-file"}}}},
      {"MemoryLimit", i.memory_limit()},
      {"SwapLimit", i.swap_limit()},
      {"CpuCfsPeriod", i.cpu_cfs_quota()},
      {"CpuCfsQuota", i.cpu_cfs_quota()},
      {"CPUShares", i.cpu_shares()},
      {"CPUSet", i.cpuset()},
      {"PidsLimit", i.pids_limit()},
      {"OomKillDisable", i.oom_kill_disable()},
      {"IPv4Forwarding", i.ipv4_forwarding()},
      {"BridgeNfIptables", false},
      {"BridgeNfIp6tables", false},
      {"Debug", i.debug()},
      {"NFd", i.n_fd()},
      // Docker counts goroutines; berth's nearest figure is threads.
      {"NGoroutines", i.n_threads()},
      {"SystemTime", i.system_time()},
      {"LoggingDriver", i.logging_driver()},
      {"CgroupDriver", i.cgroup_driver()},
      {"CgroupVersion", i.cgroup_version()},
      {"NEventsListener", i.n_events_listener()},
      {"KernelVersion", i.kernel_version()},
      {"OperatingSystem", i.operating_system()},
      {"OSVersion", i.os_version()},
      {"OSType", i.os_type()},
      {"Architecture", i.architecture()},
      {"IndexServerAddress", "https://index.docker.io/v1/"},
      {"RegistryConfig",
       {{"AllowNondistributableArtifactsCIDRs", nullptr},
        {"AllowNondistributableArtifactsHostnames", nullptr},
        {"InsecureRegistryCIDRs", {"127.0.0.0/8"}},
        {"IndexConfigs",
         {{"docker.io",
           {{"Name", "docker.io"},
            {"Mirrors", mirrors},
            {"Secure", true},
            {"Official", true}}}}},
        {"Mirrors", mirrors}}},
      {"NCPU", i.ncpu()},
      {"MemTotal", i.mem_total()},
      {"GenericResources", nullptr},
      {"DockerRootDir", i.docker_root_dir()},
      {"HttpProxy", i.http_proxy()},
      {"HttpsProxy", i.https_proxy()},
      {"NoProxy", i.no_proxy()},
      {"Name", i.name()},
      {"Labels", nlohmann::json::array()},
      {"ExperimentalBuild", false},
      {"ServerVersion", i.server_version()},
      {"Runtimes", {{i.exec_driver(), {{"path", "berth-shim"}}}}},
      {"DefaultRuntime", i.exec_driver()},
      {"Swarm",
       {{"NodeID", ""},
        {"NodeAddr", ""},
        {"LocalNodeState", "inactive"},
        {"ControlAvailable", false},
        {"Error", ""},
        {"RemoteManagers", nullptr}}},
      {"LiveRestoreEnabled", false},
      {"Isolation", ""},
      {"InitBinary", "docker-init"},
      {"ContainerdCommit", no_commit},
      {"RuncCommit", no_commit},
      {"InitCommit", no_commit},
      {"SecurityOptions", std::vector<std::string>(i.security_options().begin(),
                                                   i.security_options().end())},
      {"Warnings", warnings},
  };
}

nlohmann::json EventJson(const v1::Event& e) {
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& [key, value] : e.attributes()) attributes[key] = value;
  nlohmann::json out = {
      {"Type", e.type()},
      {"Action", e.action()},
      {"Actor", {{"ID", e.id()}, {"Attributes", attributes}}},
      {"scope", "local"},
      {"time", e.time_nano() / 1000000000},
      {"timeNano", e.time_nano()},
  };
  // The pre-1.22 fields, which Docker still sends for these types.
  if (e.type() == "container" || e.type() == "image") {
    out["status"] = e.action();
    out["id"] = e.id();
    if (!e.from().empty()) out["from"] = e.from();
  }
  return out;
}

}  // namespace berth
