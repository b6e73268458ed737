#include "services/runtime/oci_config.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/runtime/capabilities.h"
#include "services/runtime/defaults.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

Spec FullSpec() {
  Spec spec;
  spec.rootfs = "/bundle/rootfs";
  spec.rootfs_readonly = true;
  spec.hostname = "box";
  spec.process.args = {"sh", "-c", "echo hi"};
  spec.process.env = {"PATH=/bin", "TERM=xterm"};
  spec.process.cwd = "/work";
  spec.process.uid = 1000;
  spec.process.gid = 100;
  spec.process.additional_gids = {10, 20};
  spec.process.terminal = true;
  spec.process.capabilities = DockerDefaultCapabilities();
  spec.process.no_new_privileges = true;
  spec.process.rlimits = {{RLIMIT_NOFILE, 1024, 4096}, {RLIMIT_NPROC, 5, 6}};
  spec.process.oom_score_adj = 500;
  spec.process.seccomp_default = true;
  spec.mounts = DefaultMounts();
  spec.mounts.push_back({"/data", "bind", "/srv/data", {"rbind", "ro"}});
  spec.masked_paths = DefaultMaskedPaths();
  spec.readonly_paths = DefaultReadonlyPaths();
  spec.namespaces = DefaultNamespaces();
  spec.namespaces.push_back({CLONE_NEWCGROUP, "/proc/1/ns/cgroup"});
  spec.cgroups_path = "/berth/abc";
  spec.resources.memory_limit = 64 << 20;
  spec.resources.memory_swap = 128 << 20;
  spec.resources.cpu_shares = 512;
  spec.resources.cpu_quota = 50000;
  spec.resources.cpu_period = 100000;
  spec.resources.pids_limit = 100;
  spec.resources.cpuset_cpus = "0-1";
  spec.resources.cpuset_mems = "0";
  return spec;
}

void ExpectSameSpec(const Spec& a, const Spec& b) {
  EXPECT_EQ(a.rootfs, b.rootfs);
  EXPECT_EQ(a.rootfs_readonly, b.rootfs_readonly);
  EXPECT_EQ(a.hostname, b.hostname);
  EXPECT_EQ(a.process.args, b.process.args);
  EXPECT_EQ(a.process.env, b.process.env);
  EXPECT_EQ(a.process.cwd, b.process.cwd);
  EXPECT_EQ(a.process.uid, b.process.uid);
  EXPECT_EQ(a.process.gid, b.process.gid);
  EXPECT_EQ(a.process.additional_gids, b.process.additional_gids);
  EXPECT_EQ(a.process.terminal, b.process.terminal);
  EXPECT_EQ(a.process.capabilities, b.process.capabilities);
  EXPECT_EQ(a.process.no_new_privileges, b.process.no_new_privileges);
  ASSERT_EQ(a.process.rlimits.size(), b.process.rlimits.size());
  for (size_t i = 0; i < a.process.rlimits.size(); ++i) {
    EXPECT_EQ(a.process.rlimits[i].resource, b.process.rlimits[i].resource);
    EXPECT_EQ(a.process.rlimits[i].soft, b.process.rlimits[i].soft);
    EXPECT_EQ(a.process.rlimits[i].hard, b.process.rlimits[i].hard);
  }
  EXPECT_EQ(a.process.oom_score_adj, b.process.oom_score_adj);
  EXPECT_EQ(a.process.seccomp_default, b.process.seccomp_default);
  ASSERT_EQ(a.mounts.size(), b.mounts.size());
  for (size_t i = 0; i < a.mounts.size(); ++i) {
    EXPECT_EQ(a.mounts[i].destination, b.mounts[i].destination);
    EXPECT_EQ(a.mounts[i].type, b.mounts[i].type);
    EXPECT_EQ(a.mounts[i].source, b.mounts[i].source);
    EXPECT_EQ(a.mounts[i].options, b.mounts[i].options);
  }
  EXPECT_EQ(a.masked_paths, b.masked_paths);
  EXPECT_EQ(a.readonly_paths, b.readonly_paths);
  ASSERT_EQ(a.namespaces.size(), b.namespaces.size());
  for (size_t i = 0; i < a.namespaces.size(); ++i) {
    EXPECT_EQ(a.namespaces[i].clone_flag, b.namespaces[i].clone_flag);
    EXPECT_EQ(a.namespaces[i].path, b.namespaces[i].path);
  }
  EXPECT_EQ(a.cgroups_path, b.cgroups_path);
  const Resources& ra = a.resources;
  const Resources& rb = b.resources;
  EXPECT_EQ(ra.memory_limit, rb.memory_limit);
  EXPECT_EQ(ra.memory_swap, rb.memory_swap);
  EXPECT_EQ(ra.cpu_shares, rb.cpu_shares);
  EXPECT_EQ(ra.cpu_quota, rb.cpu_quota);
  EXPECT_EQ(ra.cpu_period, rb.cpu_period);
  EXPECT_EQ(ra.pids_limit, rb.pids_limit);
  EXPECT_EQ(ra.cpuset_cpus, rb.cpuset_cpus);
  EXPECT_EQ(ra.cpuset_mems, rb.cpuset_mems);
}

TEST(OciConfigTest, RoundTripsEveryField) {
  Spec spec = FullSpec();
  std::string text = WriteOciConfig(spec, "rootfs");
  absl::StatusOr<Spec> parsed = ParseOciConfig(text, "/bundle");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectSameSpec(spec, *parsed);
  // And again: the written form is stable.
  EXPECT_EQ(WriteOciConfig(*parsed, "rootfs"), text);
}

TEST(OciConfigTest, RoundTripsAMinimalSpec) {
  Spec spec;
  spec.rootfs = "/r";
  spec.process.args = {"/bin/true"};
  spec.namespaces = {{CLONE_NEWNS, ""}};
  absl::StatusOr<Spec> parsed =
      ParseOciConfig(WriteOciConfig(spec, "/r"), "/elsewhere");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectSameSpec(spec, *parsed);
  EXPECT_TRUE(parsed->resources.empty());
}

TEST(OciConfigTest, WritesARuncShapedConfig) {
  Spec spec = FullSpec();
  json config = json::parse(WriteOciConfig(spec, "rootfs"));
  EXPECT_EQ(config["ociVersion"], "1.0.2");
  EXPECT_EQ(config["root"]["path"], "rootfs");
  // A non-root user keeps its capabilities in the bounding set only.
  EXPECT_EQ(config["process"]["capabilities"]["bounding"].size(), 14u);
  EXPECT_TRUE(config["process"]["capabilities"]["effective"].empty());
  EXPECT_EQ(config["process"]["rlimits"][0]["type"], "RLIMIT_NOFILE");
  const json& seccomp = config["linux"]["seccomp"];
  EXPECT_EQ(seccomp["defaultAction"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(seccomp["architectures"],
            json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  bool blocks_mount = false;
  bool clone3_enosys = false;
  bool clone_newns = false;
  for (const json& rule : seccomp["syscalls"]) {
    EXPECT_EQ(rule["action"], "SCMP_ACT_ERRNO");
    for (const json& name : rule["names"]) {
      if (name == "mount") blocks_mount = rule["errnoRet"] == 1;
      if (name == "clone3") clone3_enosys = rule["errnoRet"] == 38;
      if (name == "clone" && rule["args"][0]["value"] == CLONE_NEWNS) {
        clone_newns = rule["args"][0]["op"] == "SCMP_CMP_MASKED_EQ" &&
                      rule["args"][0]["valueTwo"] == CLONE_NEWNS;
      }
    }
  }
  EXPECT_TRUE(blocks_mount);
  EXPECT_TRUE(clone3_enosys);
  EXPECT_TRUE(clone_newns);
}

TEST(OciConfigTest, ReadsADockerStyleConfig) {
  const char* text = R"({
    "ociVersion": "1.0.2-dev",
    "process": {
      "terminal": false,
      "user": {"uid": 0, "gid": 0, "additionalGids": [10]},
      "args": ["sh"],
      "env": ["PATH=/usr/bin:/bin", "HOSTNAME=abc"],
      "cwd": "/",
      "capabilities": {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_CHOWN"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "permitted": ["CAP_CHOWN", "CAP_KILL"]
      },
      "apparmorProfile": "docker-default",
      "oomScoreAdj": 0
    },
    "root": {"path": "/var/lib/x/merged"},
    "hostname": "abc",
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc",
                "options": ["nosuid", "noexec", "nodev"]}],
    "hooks": {"prestart": []},
    "linux": {
      "resources": {"devices": [{"allow": false, "access": "rwm"}],
                    "memory": {"limit": 6291456, "swap": -1},
                    "pids": {"limit": null}},
      "cgroupsPath": "/docker/abc",
      "namespaces": [{"type": "mount"}, {"type": "network",
                      "path": "/var/run/netns/x"}],
      "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []},
      "maskedPaths": ["/proc/kcore"]
    }
  })";
  absl::StatusOr<Spec> spec = ParseOciConfig(text, "/ignored");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->rootfs, "/var/lib/x/merged");
  EXPECT_EQ(spec->process.capabilities,
            (std::vector<int>{CAP_CHOWN, CAP_KILL}));
  EXPECT_EQ(spec->process.additional_gids, std::vector<uint32_t>{10});
  EXPECT_EQ(spec->process.oom_score_adj, 0);
  EXPECT_TRUE(spec->process.seccomp_default);
  EXPECT_EQ(spec->resources.memory_limit, 6291456);
  EXPECT_EQ(spec->resources.memory_swap, -1);
  EXPECT_FALSE(spec->resources.pids_limit.has_value());
  ASSERT_EQ(spec->namespaces.size(), 2u);
  EXPECT_EQ(spec->namespaces[1].clone_flag, CLONE_NEWNET);
  EXPECT_EQ(spec->namespaces[1].path, "/var/run/netns/x");
}

TEST(OciConfigTest, NoSeccompSectionMeansNoFilter) {
  absl::StatusOr<Spec> spec = ParseOciConfig(
      R"({"process": {"args": ["a"], "cwd": "/"}, "root": {"path": "r"}})",
      "/b");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->process.seccomp_default);
  EXPECT_EQ(spec->rootfs, "/b/r");
}

struct BadConfig {
  const char* name;
  const char* json;
  const char* bundle;
  const char* message;  // a part of the expected message
};

class OciConfigErrorTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(OciConfigErrorTest, IsInvalidArgumentNamingTheField) {
  absl::StatusOr<Spec> spec =
      ParseOciConfig(GetParam().json, GetParam().bundle);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find(GetParam().message),
            absl::string_view::npos)
      << spec.status();
}

#define PROCESS R"("process": {"args": ["a"], "cwd": "/"})"
#define ROOT R"("root": {"path": "r"})"

INSTANTIATE_TEST_SUITE_P(
    Errors, OciConfigErrorTest,
    ::testing::Values(
        BadConfig{"NotJson", "{", "/b", "not valid JSON"},
        BadConfig{"NotObject", "[]", "/b", "must be a JSON object"},
        BadConfig{"NoRoot", "{" PROCESS "}", "/b", "root is required"},
        BadConfig{"NoProcess", "{" ROOT "}", "/b", "process is required"},
        BadConfig{"NoArgs", R"({"process": {"cwd": "/"}, )" ROOT "}", "/b",
                  "process.args must name"},
        BadConfig{"ArgNotString",
                  R"({"process": {"args": ["a", 1], "cwd": "/"}, )" ROOT "}",
                  "/b", "process.args[1] must be a string"},
        BadConfig{"RelativeCwd",
                  R"({"process": {"args": ["a"], "cwd": "x"}, )" ROOT "}", "/b",
                  "process.cwd must be an absolute path"},
        BadConfig{"NegativeUid",
                  R"({"process": {"args": ["a"], "cwd": "/",
                      "user": {"uid": -1}}, )" ROOT "}",
                  "/b", "process.user.uid must be a non-negative integer"},
        BadConfig{"UnknownCapability",
                  R"({"process": {"args": ["a"], "cwd": "/",
                      "capabilities": {"bounding": ["CAP_FLY"]}}, )" ROOT "}",
                  "/b", "names an unknown capability \"CAP_FLY\""},
        BadConfig{"UnknownRlimit",
                  R"({"process": {"args": ["a"], "cwd": "/",
                      "rlimits": [{"type": "RLIMIT_X", "soft": 1,
                                   "hard": 1}]}, )" ROOT "}",
                  "/b", "process.rlimits[0].type"},
        BadConfig{"OomOutOfRange",
                  R"({"process": {"args": ["a"], "cwd": "/",
                      "oomScoreAdj": 2000}, )" ROOT "}",
                  "/b", "between -1000 and 1000"},
        BadConfig{"UnknownNamespace",
                  "{" PROCESS ", " ROOT
                  R"(, "linux": {"namespaces": [{"type": "time"}]}})",
                  "/b", "unknown namespace type \"time\""},
        BadConfig{"RepeatedNamespace",
                  "{" PROCESS ", " ROOT
                  R"(, "linux": {"namespaces": [{"type": "pid"},
                      {"type": "pid"}]}})",
                  "/b", "repeats namespace \"pid\""},
        BadConfig{"RelativeMount",
                  "{" PROCESS ", " ROOT
                  R"(, "mounts": [{"destination": "proc", "type": "proc"}]})",
                  "/b", "mounts[0].destination must be an absolute path"},
        BadConfig{"MemoryNotNumber",
                  "{" PROCESS ", " ROOT
                  R"(, "linux": {"resources": {"memory": {"limit": "1g"}}}})",
                  "/b", "linux.resources.memory.limit must be an integer"},
        BadConfig{"SeccompWithoutAction",
                  "{" PROCESS ", " ROOT R"(, "linux": {"seccomp": {}}})", "/b",
                  "linux.seccomp.defaultAction is required"},
        BadConfig{"RelativeBundle", "{" PROCESS ", " ROOT "}", "bundle",
                  "bundle directory must be absolute"}),
    [](const ::testing::TestParamInfo<BadConfig>& info) {
      return info.param.name;
    });

TEST(OciConfigTest, RlimitNames) {
  EXPECT_EQ(*ParseRlimitType("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(RlimitTypeName(RLIMIT_CORE), "RLIMIT_CORE");
  EXPECT_FALSE(ParseRlimitType("nofile").ok());
}

}  // namespace
}  // namespace berth::runtime
