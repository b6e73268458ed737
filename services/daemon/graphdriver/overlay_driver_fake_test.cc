// OverlayDriver's logic with a fake MountOps: no root, no mounts.

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/graphdriver/overlay_driver.h"

namespace berth {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

struct MountCall {
  std::string source, target, fstype, data;
  unsigned long flags;
};
struct UnmountCall {
  std::string target;
  int flags;
};

class FakeMountOps : public MountOps {
 public:
  absl::Status Mount(const std::string& source, const std::string& target,
                     const std::string& fstype, unsigned long flags,
                     const std::string& data) override {
    mounts.push_back({source, target, fstype, data, flags});
    return mount_result;
  }
  absl::Status Unmount(const std::string& target, int flags) override {
    unmounts.push_back({target, flags});
    return absl::OkStatus();
  }

  absl::Status mount_result;
  std::vector<MountCall> mounts;
  std::vector<UnmountCall> unmounts;
};

class OverlayFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ops = std::make_unique<FakeMountOps>();
    ops_ = ops.get();
    auto driver = OverlayDriver::New(tmp_.Join("graph"), std::move(ops));
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
  }

  std::string Home() const { return tmp_.Join("graph/overlay"); }
  std::string Link(const std::string& id) const {
    absl::StatusOr<std::string> link =
        ReadFile(absl::StrCat(Home(), "/", id, "/link"));
    EXPECT_TRUE(link.ok()) << link.status();
    return link.value_or("");
  }
  int CountLinks() const {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(Home() + "/l")) {
      (void)e;
      ++n;
    }
    return n;
  }

  berth::testing::TempDir tmp_;
  FakeMountOps* ops_ = nullptr;
  std::unique_ptr<OverlayDriver> driver_;
};

TEST_F(OverlayFakeTest, MountOptionsListLowerDirsNearestFirst) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  ASSERT_TRUE(driver_->Create("mid", "base").ok());
  ASSERT_TRUE(driver_->Create("top", "mid").ok());

  absl::StatusOr<std::string> view = driver_->Get("top");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(*view, Home() + "/top/merged");
  ASSERT_THAT(ops_->mounts, SizeIs(1));
  const MountCall& call = ops_->mounts[0];
  EXPECT_EQ(call.source, "overlay");
  EXPECT_EQ(call.fstype, "overlay");
  EXPECT_EQ(call.target, Home() + "/top/merged");
  EXPECT_EQ(call.flags, 0u);
  EXPECT_EQ(call.data,
            absl::StrCat("lowerdir=", Home(), "/l/", Link("mid"), ":", Home(),
                         "/l/", Link("base"), ",upperdir=", Home(),
                         "/top/diff,workdir=", Home(), "/top/work"));
  // Each short link leads to its layer's diff dir.
  for (const char* id : {"base", "mid", "top"}) {
    EXPECT_EQ(Link(id).size(), 26u);
    EXPECT_TRUE(std::filesystem::equivalent(
        absl::StrCat(Home(), "/l/", Link(id)), driver_->DiffDir(id)))
        << id;
  }
  EXPECT_TRUE(driver_->Put("top").ok());
}

TEST_F(OverlayFakeTest, LowerDirsAreTheParentsDiffDirsNearestFirst) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  ASSERT_TRUE(driver_->Create("mid", "base").ok());
  ASSERT_TRUE(driver_->Create("top", "mid").ok());
  absl::StatusOr<std::vector<std::string>> lowers = driver_->LowerDirs("top");
  ASSERT_TRUE(lowers.ok()) << lowers.status();
  EXPECT_EQ(*lowers, (std::vector<std::string>{driver_->DiffDir("mid"),
                                               driver_->DiffDir("base")}));
  lowers = driver_->LowerDirs("base");
  ASSERT_TRUE(lowers.ok()) << lowers.status();
  EXPECT_TRUE(lowers->empty());
  // Nothing was mounted to find them.
  EXPECT_THAT(ops_->mounts, SizeIs(0));
}

TEST_F(OverlayFakeTest, BaseLayerNeedsNoMount) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  absl::StatusOr<std::string> view = driver_->Get("base");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(*view, driver_->DiffDir("base"));
  EXPECT_TRUE(driver_->Put("base").ok());
  EXPECT_THAT(ops_->mounts, SizeIs(0));
  EXPECT_THAT(ops_->unmounts, SizeIs(0));
}

TEST_F(OverlayFakeTest, MountsOnFirstGetAndUnmountsOnLastPut) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  ASSERT_TRUE(driver_->Create("child", "base").ok());
  ASSERT_TRUE(driver_->Get("child").ok());
  ASSERT_TRUE(driver_->Get("child").ok());
  EXPECT_THAT(ops_->mounts, SizeIs(1));
  ASSERT_TRUE(driver_->Put("child").ok());
  EXPECT_THAT(ops_->unmounts, SizeIs(0));
  ASSERT_TRUE(driver_->Put("child").ok());
  ASSERT_THAT(ops_->unmounts, SizeIs(1));
  EXPECT_EQ(ops_->unmounts[0].target, Home() + "/child/merged");
  EXPECT_EQ(ops_->unmounts[0].flags, MNT_DETACH);

  absl::Status extra = driver_->Put("child");
  EXPECT_TRUE(absl::IsFailedPrecondition(extra)) << extra;
  EXPECT_TRUE(absl::IsNotFound(driver_->Put("nope")));
  EXPECT_TRUE(absl::IsNotFound(driver_->Get("nope").status()));
}

TEST_F(OverlayFakeTest, FailedMountTakesNoReference) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  ASSERT_TRUE(driver_->Create("child", "base").ok());
  ops_->mount_result = absl::PermissionDeniedError("mount: nope");
  absl::StatusOr<std::string> view = driver_->Get("child");
  EXPECT_TRUE(absl::IsPermissionDenied(view.status())) << view.status();
  EXPECT_THAT(std::string(view.status().message()), HasSubstr("child"));
  EXPECT_TRUE(absl::IsFailedPrecondition(driver_->Put("child")));
}

TEST_F(OverlayFakeTest, RemoveUnmountsALayerInUse) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  ASSERT_TRUE(driver_->Create("child", "base").ok());
  ASSERT_TRUE(driver_->Get("child").ok());
  ASSERT_TRUE(driver_->Remove("child").ok());
  ASSERT_THAT(ops_->unmounts, SizeIs(1));
  EXPECT_EQ(ops_->unmounts[0].target, Home() + "/child/merged");
  EXPECT_FALSE(driver_->Exists("child"));
  EXPECT_EQ(CountLinks(), 1);                  // base's
  EXPECT_TRUE(driver_->Remove("child").ok());  // Missing: OK.
  EXPECT_TRUE(driver_->Remove("base").ok());
  EXPECT_EQ(CountLinks(), 0);
}

TEST_F(OverlayFakeTest, SetParentGivesTheLayoutCreateWithAParentGives) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  ASSERT_TRUE(driver_->Create("mid", "base").ok());
  ASSERT_TRUE(driver_->Create("made", "mid").ok());
  ASSERT_TRUE(driver_->Create("late", "").ok());
  ASSERT_TRUE(WriteFileAtomic(driver_->DiffDir("late") + "/applied", "x").ok());
  ASSERT_TRUE(driver_->SetParent("late", "mid").ok());

  absl::StatusOr<std::vector<std::string>> made = driver_->LowerDirs("made");
  absl::StatusOr<std::vector<std::string>> late = driver_->LowerDirs("late");
  ASSERT_TRUE(made.ok() && late.ok());
  EXPECT_EQ(*late, *made);
  ASSERT_TRUE(driver_->Get("late").ok());
  ASSERT_THAT(ops_->mounts, SizeIs(1));
  EXPECT_EQ(ops_->mounts[0].data,
            absl::StrCat("lowerdir=", Home(), "/l/", Link("mid"), ":", Home(),
                         "/l/", Link("base"), ",upperdir=", Home(),
                         "/late/diff,workdir=", Home(), "/late/work"));
  EXPECT_TRUE(driver_->Put("late").ok());
  // What was applied before stays.
  EXPECT_TRUE(ReadFile(driver_->DiffDir("late") + "/applied").ok());
}

TEST_F(OverlayFakeTest, SetParentErrors) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  ASSERT_TRUE(driver_->Create("child", "base").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(driver_->SetParent("child", "base")));
  EXPECT_TRUE(absl::IsNotFound(driver_->SetParent("missing", "base")));
  EXPECT_TRUE(absl::IsNotFound(driver_->SetParent("base", "missing")));
  EXPECT_TRUE(absl::IsInvalidArgument(driver_->SetParent("a:b", "base")));
}

TEST_F(OverlayFakeTest, CreateErrors) {
  ASSERT_TRUE(driver_->Create("base", "").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(driver_->Create("base", "")));
  EXPECT_TRUE(absl::IsNotFound(driver_->Create("child", "missing")));
  EXPECT_TRUE(absl::IsInvalidArgument(driver_->Create("a/b", "")));
  EXPECT_TRUE(absl::IsInvalidArgument(driver_->Create("a:b", "")));
  EXPECT_TRUE(absl::IsInvalidArgument(driver_->Create("", "")));
  EXPECT_TRUE(absl::IsInvalidArgument(driver_->Create("l", "")));
  EXPECT_FALSE(driver_->Exists("child"));
  EXPECT_EQ(CountLinks(), 1);
}

TEST_F(OverlayFakeTest, RefusesAChainTooLongForOneMountPage) {
  const size_t limit = OverlayDriver::MountDataLimit();
  std::string parent = "layer0";
  ASSERT_TRUE(driver_->Create(parent, "").ok());
  absl::Status status;
  int depth = 1;
  for (; depth < 1000; ++depth) {
    std::string id = absl::StrCat("layer", depth);
    status = driver_->Create(id, parent);
    if (!status.ok()) break;
    parent = id;
  }
  ASSERT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(absl::StrCat("limit of ", limit, " bytes")));
  EXPECT_THAT(std::string(status.message()), HasSubstr("--storage-driver=vfs"));
  // Each lower layer costs strlen(home) + 29 bytes ("/l/", 26, ':').
  const size_t per_layer = Home().size() + 30;
  EXPECT_GE(static_cast<size_t>(depth), (limit - 300) / per_layer - 1);
  EXPECT_LE(static_cast<size_t>(depth), limit / per_layer + 1);
  // The refused layer left nothing behind, and the deepest one mounts.
  EXPECT_FALSE(driver_->Exists(absl::StrCat("layer", depth)));
  EXPECT_EQ(CountLinks(), depth);
  absl::StatusOr<std::string> view = driver_->Get(parent);
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_THAT(ops_->mounts, SizeIs(1));
  EXPECT_LT(ops_->mounts[0].data.size(), limit);
}

TEST_F(OverlayFakeTest, StatusAndFormat) {
  EXPECT_EQ(driver_->Name(), "overlay");
  EXPECT_EQ(driver_->Format(), LayerFormat::kOverlayUpper);
  auto rows = driver_->Status();
  ASSERT_THAT(rows, SizeIs(2));
  EXPECT_EQ(rows[0].first, "Backing Filesystem");
  EXPECT_FALSE(rows[0].second.empty());
  EXPECT_EQ(rows[1].first, "Supports d_type");
}

TEST(OverlayDriverNewTest, RefusesRootsMountOptionsCannotCarry) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      OverlayDriver::New("relative/graph", std::make_unique<FakeMountOps>())
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      OverlayDriver::New("/tmp/a,b", std::make_unique<FakeMountOps>())
          .status()));
}

}  // namespace
}  // namespace berth
