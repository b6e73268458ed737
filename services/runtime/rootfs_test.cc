#include "services/runtime/rootfs.h"

#include <sys/mount.h>

#include "gtest/gtest.h"
#include "services/runtime/defaults.h"

namespace berth::runtime {
namespace {

Spec BaseSpec() {
  Spec spec;
  spec.rootfs = "/var/lib/berth/x/rootfs/";
  spec.process.args = {"sh"};
  spec.mounts = DefaultMounts();
  spec.masked_paths = DefaultMaskedPaths();
  spec.readonly_paths = DefaultReadonlyPaths();
  return spec;
}

const RootfsStep* FindStep(const RootfsPlan& plan, const std::string& target) {
  for (const RootfsStep& step : plan.steps) {
    if (step.target == target) return &step;
  }
  return nullptr;
}

TEST(PlanRootfsTest, DefaultMountsWithoutACgroup) {
  absl::StatusOr<RootfsPlan> plan = PlanRootfs(BaseSpec(), {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->rootfs, "/var/lib/berth/x/rootfs");
  const RootfsStep* proc = FindStep(*plan, "/proc");
  ASSERT_NE(proc, nullptr);
  EXPECT_EQ(proc->fstype, "proc");
  EXPECT_EQ(proc->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
  const RootfsStep* dev = FindStep(*plan, "/dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->data, "mode=755,size=65536k");
  const RootfsStep* sys = FindStep(*plan, "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_TRUE(sys->flags & MS_RDONLY);
  EXPECT_EQ(FindStep(*plan, "/sys/fs/cgroup"), nullptr);  // no cgroup
  // Devices are bound from the host onto files, after the /dev tmpfs.
  const RootfsStep* null = FindStep(*plan, "/dev/null");
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(null->source, "/dev/null");
  EXPECT_EQ(null->flags, MS_BIND);
  EXPECT_TRUE(null->file_target);
  EXPECT_GT(null, dev);
  for (const char* device :
       {"/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}) {
    EXPECT_NE(FindStep(*plan, device), nullptr) << device;
  }
  const RootfsStep* ptmx = FindStep(*plan, "/dev/ptmx");
  ASSERT_NE(ptmx, nullptr);
  EXPECT_EQ(ptmx->kind, RootfsStep::Kind::kSymlink);
  EXPECT_EQ(ptmx->source, "pts/ptmx");
  const RootfsStep* fd = FindStep(*plan, "/dev/fd");
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->source, "/proc/self/fd");
  EXPECT_EQ(FindStep(*plan, "/dev/console"), nullptr);
  EXPECT_EQ(plan->masked_paths.size(), DefaultMaskedPaths().size());
  EXPECT_FALSE(plan->readonly);
}

TEST(PlanRootfsTest, TerminalGetsAConsole) {
  Spec spec = BaseSpec();
  spec.process.terminal = true;
  EXPECT_EQ(PlanRootfs(spec, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<RootfsPlan> plan = PlanRootfs(spec, {}, "/dev/pts/3");
  ASSERT_TRUE(plan.ok());
  const RootfsStep* console = FindStep(*plan, "/dev/console");
  ASSERT_NE(console, nullptr);
  EXPECT_EQ(console->source, "/dev/pts/3");
  EXPECT_TRUE(console->file_target);
}

TEST(PlanRootfsTest, BindMounts) {
  Spec spec = BaseSpec();
  spec.mounts.push_back(
      {"/etc/hosts", "bind", "/etc/hosts", {"rbind", "ro", "rprivate"}});
  spec.mounts.push_back({"/data", "none", "/tmp", {"bind", "nosuid"}});
  absl::StatusOr<RootfsPlan> plan = PlanRootfs(spec, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  const RootfsStep* hosts = FindStep(*plan, "/etc/hosts");
  ASSERT_NE(hosts, nullptr);
  EXPECT_EQ(hosts->flags, MS_BIND | MS_REC);
  EXPECT_EQ(hosts->remount_flags, MS_RDONLY);
  EXPECT_EQ(hosts->propagation, MS_PRIVATE | MS_REC);
  EXPECT_TRUE(hosts->file_target);
  EXPECT_EQ(hosts->fstype, "");
  const RootfsStep* data = FindStep(*plan, "/data");
  ASSERT_NE(data, nullptr);
  EXPECT_FALSE(data->file_target);
  EXPECT_EQ(data->remount_flags, MS_NOSUID);
}

TEST(PlanRootfsTest, CgroupV1IsATmpfsWithBinds) {
  CgroupMountSource cgroups;
  cgroups.available = true;
  cgroups.hierarchies = {{{"memory"}, "/sys/fs/cgroup/memory/berth/x"},
                         {{"cpu", "cpuacct"}, "/sys/fs/cgroup/cpu,cpuacct/b"}};
  absl::StatusOr<RootfsPlan> plan = PlanRootfs(BaseSpec(), cgroups);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const RootfsStep* tmpfs = FindStep(*plan, "/sys/fs/cgroup");
  ASSERT_NE(tmpfs, nullptr);
  EXPECT_EQ(tmpfs->fstype, "tmpfs");
  EXPECT_FALSE(tmpfs->flags & MS_RDONLY);  // made ro after the binds
  const RootfsStep* memory = FindStep(*plan, "/sys/fs/cgroup/memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->source, "/sys/fs/cgroup/memory/berth/x");
  EXPECT_TRUE(memory->remount_flags & MS_RDONLY);
  ASSERT_NE(FindStep(*plan, "/sys/fs/cgroup/cpu,cpuacct"), nullptr);
  const RootfsStep* cpu = FindStep(*plan, "/sys/fs/cgroup/cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->kind, RootfsStep::Kind::kSymlink);
  EXPECT_EQ(cpu->source, "cpu,cpuacct");
  bool remounted = false;
  for (const RootfsStep& step : plan->steps) {
    if (step.kind == RootfsStep::Kind::kRemount &&
        step.target == "/sys/fs/cgroup") {
      remounted = step.flags & MS_RDONLY;
    }
  }
  EXPECT_TRUE(remounted);
}

TEST(PlanRootfsTest, CgroupV2) {
  CgroupMountSource cgroups;
  cgroups.available = true;
  cgroups.unified = true;
  cgroups.hierarchies = {{{}, "/sys/fs/cgroup/berth/x"}};
  absl::StatusOr<RootfsPlan> bind = PlanRootfs(BaseSpec(), cgroups);
  ASSERT_TRUE(bind.ok());
  const RootfsStep* step = FindStep(*bind, "/sys/fs/cgroup");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->source, "/sys/fs/cgroup/berth/x");
  EXPECT_TRUE(step->flags & MS_BIND);

  cgroups.new_namespace = true;
  absl::StatusOr<RootfsPlan> own = PlanRootfs(BaseSpec(), cgroups);
  ASSERT_TRUE(own.ok());
  step = FindStep(*own, "/sys/fs/cgroup");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->fstype, "cgroup2");
  EXPECT_TRUE(step->flags & MS_RDONLY);
}

TEST(PlanRootfsTest, Errors) {
  auto code_of = [](const Spec& spec) {
    return PlanRootfs(spec, {}).status().code();
  };
  Spec relative_root = BaseSpec();
  relative_root.rootfs = "rootfs";
  EXPECT_EQ(code_of(relative_root), absl::StatusCode::kInvalidArgument);
  Spec host_root = BaseSpec();
  host_root.rootfs = "/";
  EXPECT_EQ(code_of(host_root), absl::StatusCode::kInvalidArgument);
  Spec over_root = BaseSpec();
  over_root.mounts.push_back({"/", "tmpfs", "tmpfs", {}});
  EXPECT_EQ(code_of(over_root), absl::StatusCode::kInvalidArgument);
  Spec missing_source = BaseSpec();
  missing_source.mounts.push_back({"/x", "bind", "/no/such/dir", {"rbind"}});
  absl::Status status = PlanRootfs(missing_source, {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("bind source path does not exist: "
                                  "/no/such/dir"),
            absl::string_view::npos)
      << status;
  Spec relative_source = BaseSpec();
  relative_source.mounts.push_back({"/x", "bind", "tmp", {"bind"}});
  EXPECT_EQ(code_of(relative_source), absl::StatusCode::kInvalidArgument);
  Spec no_type = BaseSpec();
  no_type.mounts.push_back({"/x", "", "", {}});
  EXPECT_EQ(code_of(no_type), absl::StatusCode::kInvalidArgument);
  Spec bad_masked = BaseSpec();
  bad_masked.masked_paths.push_back("proc/kcore");
  EXPECT_EQ(code_of(bad_masked), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::runtime
