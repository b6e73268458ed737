#include "services/shim/oci_process.h"

#include <sys/resource.h>

#include "gtest/gtest.h"

namespace berth::shim {
namespace {

TEST(OciProcessTest, ReadsAProcessObject) {
  absl::StatusOr<runtime::Process> process = ParseOciProcess(R"({
    "terminal": true,
    "user": {"uid": 1000, "gid": 100, "additionalGids": [10, 20]},
    "args": ["sh", "-c", "echo hi"],
    "env": ["PATH=/bin", "A=b"],
    "cwd": "/tmp",
    "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"],
                     "effective": ["CAP_CHOWN"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}],
    "noNewPrivileges": true,
    "oomScoreAdj": 5
  })");
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_TRUE(process->terminal);
  EXPECT_EQ(process->uid, 1000u);
  EXPECT_EQ(process->gid, 100u);
  EXPECT_EQ(process->additional_gids, (std::vector<uint32_t>{10, 20}));
  EXPECT_EQ(process->args, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_EQ(process->env, (std::vector<std::string>{"PATH=/bin", "A=b"}));
  EXPECT_EQ(process->cwd, "/tmp");
  EXPECT_EQ(process->capabilities.size(), 2u);
  ASSERT_EQ(process->rlimits.size(), 1u);
  EXPECT_EQ(process->rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(process->rlimits[0].soft, 512u);
  EXPECT_TRUE(process->no_new_privileges);
  EXPECT_EQ(process->oom_score_adj, 5);
  EXPECT_FALSE(process->seccomp_default);
}

TEST(OciProcessTest, DefaultsAsConfigJson) {
  absl::StatusOr<runtime::Process> process =
      ParseOciProcess(R"({"args": ["true"]})");
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ(process->cwd, "/");
  EXPECT_FALSE(process->terminal);
  EXPECT_EQ(process->uid, 0u);
}

TEST(OciProcessTest, ErrorsNameTheField) {
  absl::StatusOr<runtime::Process> process =
      ParseOciProcess(R"({"args": [], "cwd": "/"})");
  ASSERT_FALSE(process.ok());
  EXPECT_EQ(process.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(process.status().message(),
            "process file: process.args must name the program to run");

  process = ParseOciProcess(R"({"args": ["x"], "cwd": "relative"})");
  ASSERT_FALSE(process.ok());
  EXPECT_NE(process.status().message().find("process.cwd"),
            absl::string_view::npos);
}

TEST(OciProcessTest, OnlyAnObject) {
  for (const char* text :
       {"", "[]", "\"x\"", "{", R"({"args": ["x"]}, "hostname": "h")",
        R"({"args": ["x"]}} {)"}) {
    absl::StatusOr<runtime::Process> process = ParseOciProcess(text);
    EXPECT_FALSE(process.ok()) << text;
    EXPECT_EQ(process.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace berth::shim
