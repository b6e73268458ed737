#include "services/runtime/process.h"

#include <sys/resource.h>

#include "gtest/gtest.h"
#include "services/runtime/capabilities.h"

namespace berth::runtime {
namespace {

TEST(ProcessTest, PathFromEnv) {
  EXPECT_EQ(PathFromEnv({}),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ(PathFromEnv({"A=1", "PATH=/a", "PATH=/b:/c"}), "/b:/c");
  EXPECT_EQ(PathFromEnv({"MYPATH=/x"}).substr(0, 16), "/usr/local/sbin:");
}

TEST(ProcessTest, ExecCandidatesFollowExecvp) {
  EXPECT_EQ(ExecCandidates("sh", "/bin:/usr/bin"),
            (std::vector<std::string>{"/bin/sh", "/usr/bin/sh"}));
  EXPECT_EQ(ExecCandidates("sh", "/bin::"),
            (std::vector<std::string>{"/bin/sh", "./sh", "./sh"}));
  EXPECT_EQ(ExecCandidates("./run", "/bin"), std::vector<std::string>{"./run"});
  EXPECT_EQ(ExecCandidates("/bin/sh", "/x"),
            std::vector<std::string>{"/bin/sh"});
}

TEST(ProcessTest, RlimitsAreClampedToTheCurrentHardLimit) {
  Rlimit wanted{RLIMIT_NOFILE, 1048576, 1048576};
  Rlimit clamped = ClampRlimit(wanted, 20000);
  EXPECT_EQ(clamped.hard, 20000u);
  EXPECT_EQ(clamped.soft, 20000u);
  Rlimit lower = ClampRlimit({RLIMIT_NOFILE, 1024, 4096}, 20000);
  EXPECT_EQ(lower.soft, 1024u);
  EXPECT_EQ(lower.hard, 4096u);
  Rlimit infinite = ClampRlimit({RLIMIT_CORE, 5, RLIM_INFINITY}, RLIM_INFINITY);
  EXPECT_EQ(infinite.hard, RLIM_INFINITY);
}

TEST(ProcessTest, PlanBuildsExecArrays) {
  Process process;
  process.args = {"echo", "hello"};
  process.env = {"PATH=/bin", "X=y"};
  process.cwd = "/work//dir/";
  process.capabilities = {0, 5};
  process.oom_score_adj = -17;
  process.seccomp_default = true;
  absl::StatusOr<std::unique_ptr<ProcessPlan>> plan =
      PlanProcess(process, true);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const ProcessPlan& p = **plan;
  ASSERT_EQ(p.argv.size(), 3u);
  EXPECT_STREQ(p.argv[0], "echo");
  EXPECT_STREQ(p.argv[1], "hello");
  EXPECT_EQ(p.argv[2], nullptr);
  ASSERT_EQ(p.envp.size(), 3u);
  EXPECT_STREQ(p.envp[1], "X=y");
  EXPECT_EQ(p.exec_candidates, std::vector<std::string>{"/bin/echo"});
  EXPECT_TRUE(p.search_path);
  EXPECT_EQ(p.cwd, "/work/dir");
  EXPECT_EQ(p.cap_mask, 0x21u);
  EXPECT_STREQ(p.oom_score_adj, "-17");
  EXPECT_TRUE(p.has_seccomp);
  EXPECT_FALSE(p.seccomp.filter.empty());
}

TEST(ProcessTest, PlanRejectsBadProcesses) {
  Process empty;
  EXPECT_EQ(PlanProcess(empty, true).status().code(),
            absl::StatusCode::kInvalidArgument);
  Process relative;
  relative.args = {"sh"};
  relative.cwd = "work";
  EXPECT_EQ(PlanProcess(relative, true).status().code(),
            absl::StatusCode::kInvalidArgument);
  Process bad_env;
  bad_env.args = {"sh"};
  bad_env.env = {"NOEQUALS"};
  EXPECT_EQ(PlanProcess(bad_env, true).status().code(),
            absl::StatusCode::kInvalidArgument);
  Process bad_cap;
  bad_cap.args = {"sh"};
  bad_cap.capabilities = {kMaxCapability + 1};
  EXPECT_EQ(PlanProcess(bad_cap, true).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::runtime
